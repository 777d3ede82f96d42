/**
 * Secrets and identifiers the account service hands out: access and refresh tokens (stored only as
 * SHA-256 hashes), device IDs, UIA session IDs, registration tokens and generated localparts.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";

/** A new access token: a prefix and 256 random bits, URL-safe. */
export function newAccessToken(): string {
  return `hat_${randomBytes(32).toString("base64url")}`;
}

/** A new refresh token. */
export function newRefreshToken(): string {
  return `hrt_${randomBytes(32).toString("base64url")}`;
}

/** The SHA-256 of a token, hex: what is stored and what identifies the token. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function randomFrom(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A new device ID: ten upper-case letters. */
export function newDeviceId(): string {
  return randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10);
}

/** A new UIA session ID. */
export function newSessionId(): string {
  return randomBytes(18).toString("base64url");
}

/** A new registration token: 16 characters of the opaque identifier grammar. */
export function newRegistrationToken(): string {
  return randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 16);
}

/** A localpart for a registration that did not ask for one. */
export function newLocalpart(): string {
  return `u${randomFrom("abcdefghijklmnopqrstuvwxyz0123456789", 11)}`;
}

/**
 * A localpart for a guest account: ten decimal digits, not starting with 0. Guest user IDs are
 * numeric, as Synapse's are, but random rather than sequential, so they do not tell how many guests
 * a server has had.
 */
export function newGuestLocalpart(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}

/** A random password for accounts created without one by an administrator. */
export function newPassword(): string {
  return randomBytes(18).toString("base64url");
}

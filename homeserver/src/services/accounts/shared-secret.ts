/**
 * Shared-secret registration, compatible with Synapse's `/_synapse/admin/v1/register`: the client
 * fetches a single-use nonce, then sends the registration with
 * `mac = hex(HMAC-SHA1(secret, nonce \0 username \0 password \0 ("admin" | "notadmin")))`.
 * The `hearth register-user` command uses it to register on a running server.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MatrixError } from "@hearth/federation";

/** How long a nonce may be used. */
export const NONCE_LIFETIME_MS = 60_000;

/** The MAC of a shared-secret registration request. */
export function sharedSecretMac(
  secret: string,
  nonce: string,
  username: string,
  password: string,
  admin: boolean,
  userType?: string,
): string {
  const hmac = createHmac("sha1", Buffer.from(secret, "utf8"));
  hmac.update(nonce, "utf8");
  hmac.update("\u0000");
  hmac.update(username, "utf8");
  hmac.update("\u0000");
  hmac.update(password, "utf8");
  hmac.update("\u0000");
  hmac.update(admin ? "admin" : "notadmin");
  if (userType !== undefined) {
    hmac.update("\u0000");
    hmac.update(userType, "utf8");
  }
  return hmac.digest("hex");
}

/** Issues nonces and checks MACs for shared-secret registration. */
export class SharedSecretRegistration {
  readonly #nonces = new Map<string, number>();

  constructor(
    private readonly secret: string | undefined,
    private readonly now: () => number,
  ) {}

  /** Whether a shared secret is configured. */
  get enabled(): boolean {
    return this.secret !== undefined;
  }

  /** A new single-use nonce. */
  newNonce(): string {
    this.#requireEnabled();
    const now = this.now();
    for (const [n, expiry] of this.#nonces) if (expiry <= now) this.#nonces.delete(n);
    const nonce = randomBytes(24).toString("hex");
    this.#nonces.set(nonce, now + NONCE_LIFETIME_MS);
    return nonce;
  }

  /**
   * Spends `nonce` and checks `mac`. Throws `M_INVALID_PARAM` for an unknown or expired nonce and
   * `M_FORBIDDEN` for a wrong MAC.
   */
  verify(request: {
    nonce: string;
    username: string;
    password: string;
    admin: boolean;
    userType?: string;
    mac: string;
  }): void {
    const secret = this.#requireEnabled();
    const expiry = this.#nonces.get(request.nonce);
    this.#nonces.delete(request.nonce);
    if (expiry === undefined || expiry <= this.now())
      throw new MatrixError("M_INVALID_PARAM", "Unrecognised nonce");
    const expected = Buffer.from(
      sharedSecretMac(
        secret,
        request.nonce,
        request.username,
        request.password,
        request.admin,
        request.userType,
      ),
      "hex",
    );
    const given = /^[0-9a-fA-F]{40}$/.test(request.mac) ? Buffer.from(request.mac, "hex") : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new MatrixError("M_FORBIDDEN", "HMAC incorrect");
    }
  }

  #requireEnabled(): string {
    if (this.secret === undefined) {
      throw new MatrixError(
        "M_FORBIDDEN",
        "Shared secret registration is not enabled (registration_shared_secret)",
      );
    }
    return this.secret;
  }
}

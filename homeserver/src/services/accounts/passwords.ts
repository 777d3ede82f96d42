/**
 * Password hashing with scrypt (node:crypto): a random salt per password, the parameters stored next
 * to the hash so they can be raised later, and a constant-time comparison.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHash } from "../../storage/accounts.js";

/** scrypt cost parameters. */
export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/** Production parameters: N=2^14, r=8, p=1 (16 MiB, tens of milliseconds). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { n: 16_384, r: 8, p: 1 };

/** The longest password accepted, in characters (longer input only costs hashing time). */
export const MAX_PASSWORD_LENGTH = 512;

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 1_048_576 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  return {
    alg: "scrypt",
    n: params.n,
    r: params.r,
    p: params.p,
    salt: salt.toString("base64"),
    hash: hash.toString("base64"),
  };
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.alg !== "scrypt") return false;
  const expected = Buffer.from(stored.hash, "base64");
  const actual = await derive(password, Buffer.from(stored.salt, "base64"), stored);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

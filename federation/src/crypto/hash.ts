/** SHA-256 over bytes. */
import { createHash } from "node:crypto";

/** The SHA-256 digest of `data`. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

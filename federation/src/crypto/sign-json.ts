/**
 * Signing JSON and checking a signature (appendices, "Signing JSON", "Signing Details",
 * "Checking for a Signature").
 */
import { canonicalJsonBytes } from "../canonical-json/index.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { type Ed25519Backend, fastestEd25519, type SigningKey } from "./ed25519.js";

type Signatures = Record<string, Record<string, string>>;

/** The object without `signatures` and `unsigned`: the part a signature covers. */
export function signedPart(value: object): Record<string, unknown> {
  const { signatures: _s, unsigned: _u, ...rest } = value as Record<string, unknown>;
  return rest;
}

/**
 * Returns a copy of `value` with a signature by `key` added under `signatures[entityName][keyId]`.
 * `unsigned` and existing `signatures` are not covered by the signature; both are kept.
 */
export function signJson<T extends object>(value: T, entityName: string, key: SigningKey): T {
  const signature = encodeBase64(key.sign(canonicalJsonBytes(signedPart(value))));
  const existing = ((value as { signatures?: Signatures }).signatures ?? {}) as Signatures;
  return {
    ...value,
    signatures: { ...existing, [entityName]: { ...existing[entityName], [key.keyId]: signature } },
  };
}

/**
 * Whether `value` carries a valid signature by `entityName` with key `keyId` and `publicKey`. A
 * missing signature, undecodable Base64 or an object that cannot be canonical JSON is `false`.
 */
export function verifyJson(
  value: object,
  entityName: string,
  keyId: string,
  publicKey: Uint8Array,
  backend: Ed25519Backend = fastestEd25519,
): boolean {
  const signatures = (value as { signatures?: unknown }).signatures;
  if (typeof signatures !== "object" || signatures === null) return false;
  const byEntity = (signatures as Record<string, unknown>)[entityName];
  if (typeof byEntity !== "object" || byEntity === null) return false;
  const encoded = (byEntity as Record<string, unknown>)[keyId];
  if (typeof encoded !== "string") return false;
  let signature: Uint8Array;
  let message: Uint8Array;
  try {
    signature = decodeBase64(encoded);
    message = canonicalJsonBytes(signedPart(value));
  } catch {
    return false;
  }
  return backend.verify(publicKey, message, signature);
}

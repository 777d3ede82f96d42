/**
 * Unpadded Base64 (appendices, "Unpadded Base64" and "URL-safe unpadded Base64").
 * Decoding accepts both alphabets, with or without padding ("implementations SHOULD accept input
 * with or without padding characters wherever possible").
 */

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Encodes bytes as standard unpadded Base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

/** Encodes bytes as URL-safe unpadded Base64. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Decodes standard or URL-safe Base64, padded or not. Throws a `TypeError` on characters outside
 * the alphabets or an impossible length. Non-zero trailing bits are tolerated (the spec's test seed
 * has them).
 */
export function decodeBase64(s: string): Uint8Array {
  if (!BASE64.test(s)) throw new TypeError("Invalid base64: unexpected character");
  const unpadded = s.replace(/=+$/, "");
  if (unpadded.length % 4 === 1) throw new TypeError("Invalid base64: impossible length");
  if (s.length !== unpadded.length && s.length % 4 !== 0) throw new TypeError("Invalid base64: bad padding");
  const buf = Buffer.from(unpadded, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

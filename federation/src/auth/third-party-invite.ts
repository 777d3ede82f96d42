/**
 * The signature check of third-party invites: "If any signature in `signed` matches any public key in
 * the `m.room.third_party_invite` event, allow."
 */
import { decodeBase64, verifyJson } from "../crypto/index.js";

/**
 * The public keys of an `m.room.third_party_invite` content: `public_key`, then each
 * `public_keys[].public_key`, decoded from (standard or URL-safe, padded or not) Base64. Keys that
 * do not decode to 32 bytes are skipped.
 */
export function thirdPartyInvitePublicKeys(content: unknown): Uint8Array[] {
  const c = typeof content === "object" && content !== null ? (content as Record<string, unknown>) : {};
  const encoded: unknown[] = [c.public_key];
  if (Array.isArray(c.public_keys)) {
    for (const entry of c.public_keys) {
      if (typeof entry === "object" && entry !== null)
        encoded.push((entry as Record<string, unknown>).public_key);
    }
  }
  const keys: Uint8Array[] = [];
  for (const e of encoded) {
    if (typeof e !== "string") continue;
    try {
      const key = decodeBase64(e);
      if (key.length === 32) keys.push(key);
    } catch {
      // Not Base64: cannot match any signature.
    }
  }
  return keys;
}

/**
 * Whether any Ed25519 signature in `signed.signatures` (any entity, any `ed25519:` key ID) verifies
 * against any of the invite's public keys. The signature covers `signed` without `signatures` (and
 * `unsigned`), as canonical JSON ("Signing JSON").
 */
export function thirdPartyInviteSignatureMatches(
  signed: Record<string, unknown>,
  inviteContent: unknown,
): boolean {
  const signatures = signed.signatures;
  if (typeof signatures !== "object" || signatures === null) return false;
  const keys = thirdPartyInvitePublicKeys(inviteContent);
  if (keys.length === 0) return false;
  for (const [entity, byKeyId] of Object.entries(signatures as Record<string, unknown>)) {
    if (typeof byKeyId !== "object" || byKeyId === null) continue;
    for (const keyId of Object.keys(byKeyId)) {
      if (!keyId.startsWith("ed25519:")) continue;
      for (const key of keys) if (verifyJson(signed, entity, keyId, key)) return true;
    }
  }
  return false;
}

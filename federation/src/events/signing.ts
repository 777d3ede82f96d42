/**
 * Signing events and checking their signatures (server-server API, "Signing Events" and
 * "Validating hashes and signatures on received events").
 */
import { type Ed25519Backend, fastestEd25519, type SigningKey } from "../crypto/ed25519.js";
import { signJson, verifyJson } from "../crypto/sign-json.js";
import { roomVersionRules } from "../room-versions/index.js";
import { contentHash, eventForHashing } from "./hashes.js";
import { redactEvent } from "./redaction.js";

type Signatures = Record<string, Record<string, string>>;

/** An event with its content hash and signatures. */
export type SignedEvent<T> = T & { hashes: { sha256: string }; signatures: Signatures };

/**
 * Hashes and signs an event: sets `hashes.sha256` to the content hash, then signs the *redacted*
 * form (so the signature still verifies after a redaction) and adds the signature to the full event.
 * Other servers' signatures are kept. In v3+ an internal `event_id` is left on the result but is not
 * hashed or signed.
 */
export function signEvent<T extends object>(
  event: T,
  serverName: string,
  key: SigningKey,
  roomVersion: string,
): SignedEvent<T> {
  const hashed = {
    ...(event as Record<string, unknown>),
    hashes: { ...((event as { hashes?: object }).hashes ?? {}), sha256: contentHash(event, roomVersion) },
  };
  const redacted = redactEvent(eventForHashing(hashed, roomVersion), roomVersion);
  const signed = signJson(redacted, serverName, key) as { signatures: Signatures };
  return { ...hashed, signatures: signed.signatures } as SignedEvent<T>;
}

/**
 * Whether the event carries a valid signature by `serverName` with `keyId`/`publicKey`, checked over
 * the redacted form: a redacted copy of a signed event still verifies. The content hash is not
 * checked here (see `verifyContentHash`).
 */
export function verifyEventSignature(
  event: object,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
  roomVersion: string,
  backend: Ed25519Backend = fastestEd25519,
): boolean {
  roomVersionRules(roomVersion); // unknown versions throw rather than read as "not signed"
  let redacted: object;
  try {
    redacted = redactEvent(eventForHashing(event, roomVersion), roomVersion);
  } catch {
    return false;
  }
  return verifyJson(redacted, serverName, keyId, publicKey, backend);
}

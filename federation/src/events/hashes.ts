/**
 * Content hashes and reference hashes of events (server-server API, "Calculating the content hash for
 * an event", "Calculating the reference hash for an event").
 *
 * In room versions 3+, an `event_id` carried on an event object is a server's internal note, not part
 * of the event: it is removed before hashing and signing. In v1/v2 it is part of the event.
 */
import { canonicalJsonBytes } from "../canonical-json/index.js";
import { decodeBase64, encodeBase64 } from "../crypto/base64.js";
import { sha256 } from "../crypto/hash.js";
import { roomVersionRules } from "../room-versions/index.js";
import { redactEvent } from "./redaction.js";

/**
 * Whether the event's `event_id` field is part of the event. With a room version this is exact
 * (v1/v2 only). Without one: v1/v2 IDs are `$opaque:domain`, while reference-hash IDs never contain
 * `:` (neither Base64 alphabet has it), so the ID's own form tells.
 */
function eventIdIsPartOfEvent(event: Record<string, unknown>, roomVersion?: string): boolean {
  if (roomVersion !== undefined) return roomVersionRules(roomVersion).eventIdFormat === "server-assigned";
  return typeof event.event_id === "string" && event.event_id.includes(":");
}

/** The event as hashed and signed: without `event_id` where it is not part of the event. */
export function eventForHashing(event: object, roomVersion?: string): Record<string, unknown> {
  const record = event as Record<string, unknown>;
  if (!("event_id" in record) || eventIdIsPartOfEvent(record, roomVersion)) return record;
  const { event_id: _id, ...rest } = record;
  return rest;
}

/**
 * The content hash (unpadded Base64 SHA-256) of an event: over the event without `unsigned`,
 * `signatures` and `hashes`. `roomVersion` is optional: without it, an `event_id` is excluded when it
 * has the reference-hash form (v3+), kept when it has the `$opaque:domain` form (v1/v2).
 */
export function contentHash(event: object, roomVersion?: string): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = eventForHashing(event, roomVersion);
  return encodeBase64(sha256(canonicalJsonBytes(rest)));
}

/** Whether the event's `hashes.sha256` matches its content. */
export function verifyContentHash(event: object, roomVersion?: string): boolean {
  const hashes = (event as { hashes?: unknown }).hashes;
  const claimed =
    typeof hashes === "object" && hashes !== null ? (hashes as { sha256?: unknown }).sha256 : undefined;
  if (typeof claimed !== "string") return false;
  let claimedBytes: Uint8Array;
  try {
    claimedBytes = decodeBase64(claimed);
  } catch {
    return false;
  }
  return encodeBase64(claimedBytes) === contentHash(event, roomVersion);
}

/** The reference hash (raw SHA-256 bytes) of an event: over its redacted form without signatures. */
export function referenceHash(event: object, roomVersion: string): Uint8Array {
  const redacted = redactEvent(eventForHashing(event, roomVersion), roomVersion);
  const { signatures: _s, unsigned: _u, ...rest } = redacted;
  return sha256(canonicalJsonBytes(rest));
}

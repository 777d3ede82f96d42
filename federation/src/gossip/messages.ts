/**
 * What Hearth servers gossip (`specs/gossip.md`, "Messages"): one gossipsub topic per room, carrying
 * JSON messages of two kinds.
 *
 * - `m.pdu`: a signed PDU, `{"type":"m.pdu","room_version":"10","pdu":{…}}`. Self-authenticating (the
 *   origin's signatures and content hash), so any server may relay it. Its gossipsub message ID is
 *   the event ID, so a PDU is delivered once however many paths it takes.
 * - `m.heads`: a server's forward extremities for the room, signed with its Matrix key, for repair
 *   (anti-entropy): `{"type":"m.heads","room_id":…,"origin":…,"ts":…,"heads":[…],"signatures":{…}}`.
 *
 * Pure: encoding, decoding with bounds, message IDs, signing and checking announcements.
 */
import type { SigningKey } from "../crypto/index.js";
import { encodeBase64, sha256, signJson, verifyJson } from "../crypto/index.js";
import type { KnownVerifyKey, Pdu } from "../events/index.js";
import { computeEventId, MAX_EVENT_BYTES } from "../events/index.js";
import { MAX_FEDERATION_JSON_DEPTH, parseJson } from "../json/index.js";
import { signedByCurrentKey } from "./record.js";

/** The topic of a room. */
export function roomTopic(roomId: string): string {
  return `hearth/room/v1/${roomId}`;
}

/** The room of a topic, or undefined for a topic that is not a room's. */
export function topicRoom(topic: string): string | undefined {
  return topic.startsWith("hearth/room/v1/") ? topic.slice("hearth/room/v1/".length) : undefined;
}

/**
 * The largest message: a PDU at the spec's size limit plus its envelope and the JSON escaping a
 * relay may have added (the limit counts canonical JSON, the message may escape a few characters).
 */
export const MAX_GOSSIP_MESSAGE_BYTES = MAX_EVENT_BYTES + 8 * 1024;

/** Most heads an announcement may list (a room rarely has more than a few forward extremities). */
export const MAX_ANNOUNCED_HEADS = 20;

/** A PDU message. */
export interface PduMessage {
  readonly type: "m.pdu";
  readonly room_version: string;
  readonly pdu: Pdu;
}

/** A heads announcement. */
export interface HeadsMessage {
  readonly type: "m.heads";
  readonly room_id: string;
  readonly origin: string;
  readonly ts: number;
  readonly heads: readonly string[];
  /** The sender just joined the topic: servers holding heads it lacks answer with theirs. */
  readonly request?: boolean;
  readonly signatures: Record<string, Record<string, string>>;
}

export type GossipMessage = PduMessage | HeadsMessage;

/** Why a message was refused (the sending peer is penalised). */
export class GossipMessageError extends Error {
  override readonly name: string = "GossipMessageError";
}

const encoder = new TextEncoder();

/** Encodes a PDU message. */
export function encodePduMessage(roomVersion: string, pdu: Pdu): Uint8Array {
  return encoder.encode(JSON.stringify({ type: "m.pdu", room_version: roomVersion, pdu }));
}

/** Builds, signs and encodes our heads announcement for a room. */
export function encodeHeadsMessage(options: {
  readonly roomId: string;
  readonly origin: string;
  readonly heads: readonly string[];
  readonly ts: number;
  /** Ask for answers (on joining the topic); periodic announcements do not. */
  readonly request?: boolean;
  readonly key: SigningKey;
}): Uint8Array {
  const unsigned = {
    type: "m.heads",
    room_id: options.roomId,
    origin: options.origin,
    ts: options.ts,
    heads: options.heads.slice(0, MAX_ANNOUNCED_HEADS),
    ...(options.request ? { request: true } : {}),
  };
  return encoder.encode(JSON.stringify(signJson(unsigned, options.origin, options.key)));
}

/**
 * Decodes a message received on `topic`: size, JSON (bounded nesting, no lone surrogates), shape,
 * and that it is about the topic's room. Signatures are checked later ({@link verifyHeads}; a PDU by
 * the event pipeline). Throws {@link GossipMessageError}.
 */
export function decodeGossipMessage(topic: string, data: Uint8Array): GossipMessage {
  if (data.byteLength > MAX_GOSSIP_MESSAGE_BYTES) throw new GossipMessageError("message too large");
  const roomId = topicRoom(topic);
  if (roomId === undefined) throw new GossipMessageError("not a room topic");
  let value: unknown;
  try {
    value = parseJson(data, { maxDepth: MAX_FEDERATION_JSON_DEPTH });
  } catch (e) {
    throw new GossipMessageError(`not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GossipMessageError("a message must be an object");
  }
  const m = value as Record<string, unknown>;
  if (m.type === "m.pdu") {
    const pdu = m.pdu as Record<string, unknown> | undefined;
    if (typeof m.room_version !== "string") throw new GossipMessageError("room_version must be a string");
    if (typeof pdu !== "object" || pdu === null || Array.isArray(pdu)) {
      throw new GossipMessageError("pdu must be an object");
    }
    // v12 create events carry no room_id; nothing else is gossiped without one.
    if (pdu.room_id !== roomId) throw new GossipMessageError("the PDU is not in this topic's room");
    return m as unknown as PduMessage;
  }
  if (m.type === "m.heads") {
    if (m.room_id !== roomId) throw new GossipMessageError("the announcement is not for this topic's room");
    if (typeof m.origin !== "string" || m.origin.length === 0 || m.origin.length > 255) {
      throw new GossipMessageError("origin must be a server name");
    }
    if (!Number.isSafeInteger(m.ts)) throw new GossipMessageError("ts must be an integer");
    if (
      !Array.isArray(m.heads) ||
      m.heads.length > MAX_ANNOUNCED_HEADS ||
      !m.heads.every((h) => typeof h === "string" && h.startsWith("$") && h.length <= 255)
    ) {
      throw new GossipMessageError(`heads must be at most ${MAX_ANNOUNCED_HEADS} event IDs`);
    }
    if (m.request !== undefined && typeof m.request !== "boolean") {
      throw new GossipMessageError("request must be a boolean");
    }
    return m as unknown as HeadsMessage;
  }
  throw new GossipMessageError("unknown message type");
}

/**
 * The gossipsub message ID of a message: the event ID for a PDU (computed with the room version the
 * receiver knows for the room; a message claiming another is refused by validation, its ID then
 * hardly matters), else `heads:` and the SHA-256 of the bytes. Never throws.
 */
export function gossipMessageId(topic: string, data: Uint8Array, roomVersion: string | undefined): string {
  try {
    const m = decodeGossipMessage(topic, data);
    if (m.type === "m.pdu" && roomVersion !== undefined) return computeEventId(m.pdu, roomVersion);
  } catch {
    // Invalid: named by its hash, refused by validation.
  }
  return `h:${encodeBase64(sha256(data))}`;
}

/** Whether an announcement is signed by its origin with one of `keys` (key ID → key), current at `now`. */
export function verifyHeads(
  message: HeadsMessage,
  keys: ReadonlyMap<string, KnownVerifyKey>,
  now: number,
): boolean {
  return signedByCurrentKey(message, message.origin, keys, now);
}

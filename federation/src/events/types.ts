/**
 * Event and JSON types. Events are plain JSON objects; these types name the fields the protocol
 * reads, and leave everything else open (unknown event types and keys pass through untouched).
 */

/** A JSON value as Matrix carries it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Event types the protocol itself reads. Others pass through as plain strings. */
export type KnownEventType =
  | "m.room.create"
  | "m.room.member"
  | "m.room.power_levels"
  | "m.room.join_rules"
  | "m.room.history_visibility"
  | "m.room.third_party_invite"
  | "m.room.redaction"
  | "m.room.aliases"
  | "m.room.name"
  | "m.room.topic"
  | "m.room.canonical_alias"
  | "m.room.server_acl"
  | "m.room.tombstone"
  | "m.room.guest_access"
  | "m.room.encryption"
  | "m.room.message";

/** An event type: a known one or any other string. */
export type EventType = KnownEventType | (string & {});

/** A reference to another event: a bare ID (v3+) or `[id, {sha256}]` (v1, v2). */
export type EventReference = string | [string, { sha256?: string } & JsonObject];

/**
 * A persistent data unit (a room event) as it travels between servers, in any room version.
 * `event_id` is part of the event in v1/v2; in v3+ servers may carry it internally, but it is not
 * part of the event and never hashed, signed or sent.
 */
export interface Pdu {
  type: EventType;
  /** Absent for `m.room.create` in v12 (the room ID is derived from it). */
  room_id?: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: EventReference[];
  auth_events: EventReference[];
  hashes?: { sha256?: string } & JsonObject;
  signatures?: Record<string, Record<string, string>>;
  unsigned?: JsonObject;
  event_id?: string;
  redacts?: string;
  [key: string]: JsonValue | undefined;
}

/** The ID carried by an event reference of either format. */
export function referenceId(ref: EventReference): string {
  return typeof ref === "string" ? ref : ref[0];
}

/** The IDs of an event's `prev_events`. */
export function prevEventIds(event: { prev_events?: unknown }): string[] {
  return referenceIds(event.prev_events);
}

/** The IDs of an event's `auth_events`. */
export function authEventIds(event: { auth_events?: unknown }): string[] {
  return referenceIds(event.auth_events);
}

function referenceIds(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const ids: string[] = [];
  for (const ref of refs) {
    if (typeof ref === "string") ids.push(ref);
    else if (Array.isArray(ref) && typeof ref[0] === "string") ids.push(ref[0]);
  }
  return ids;
}

/** Whether an event is a state event (has a string `state_key`, which may be empty). */
export function isStateEvent(event: { state_key?: unknown }): boolean {
  return typeof event.state_key === "string";
}

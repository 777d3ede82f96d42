/**
 * Event format checks: step 1 of the pipeline. An event must have the shape its room version's PDU
 * format defines (server-server API, PDU definitions) and respect the Client-Server API's "Size
 * limits": at most 65 536 bytes as canonical JSON with signatures; `sender`, `room_id`, `state_key`,
 * `type` and `event_id` at most 255 bytes each. From room version 6, events must be valid canonical
 * JSON ("Canonical JSON" of each room version); earlier versions must tolerate non-compliant JSON.
 */
import { canonicalJson } from "../canonical-json/index.js";
import { InvalidEventError } from "../errors/index.js";
import { roomVersionRules } from "../room-versions/index.js";

/** The largest event, in bytes of canonical JSON including signatures. */
export const MAX_EVENT_BYTES = 65_536;
/** The largest `sender`, `room_id`, `state_key`, `type` or `event_id`, in bytes. */
export const MAX_ID_BYTES = 255;

/** Thrown when an event is over {@link MAX_EVENT_BYTES}; maps to `M_TOO_LARGE` at the API layer. */
export class EventTooLargeError extends InvalidEventError {
  override readonly name: string = "EventTooLargeError";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(message: string): never {
  throw new InvalidEventError(message);
}

function checkString(event: Record<string, unknown>, key: string, required: boolean): void {
  const value = event[key];
  if (value === undefined) {
    if (required) fail(`missing ${key}`);
    return;
  }
  if (typeof value !== "string") fail(`${key} must be a string`);
  if (Buffer.byteLength(value, "utf8") > MAX_ID_BYTES) fail(`${key} is over ${MAX_ID_BYTES} bytes`);
}

/**
 * The size of an event as the size limit counts it: canonical JSON with signatures (but without
 * `unsigned`, which is not part of the federation format's signed data and is rewritten in transit).
 * For v1–v5 events that are not canonical JSON (floats, big integers), plain JSON is measured.
 */
export function eventSize(event: object): number {
  const { unsigned: _u, ...rest } = event as Record<string, unknown>;
  let json: string;
  try {
    json = canonicalJson(rest);
  } catch {
    json = JSON.stringify(rest);
  }
  return Buffer.byteLength(json, "utf8");
}

/**
 * Checks that `event` has the format of its room version. Throws {@link InvalidEventError} naming the
 * first problem, or {@link EventTooLargeError} when it is over the size limit.
 */
export function checkPduFormat(event: unknown, roomVersion: string): void {
  const rules = roomVersionRules(roomVersion);
  if (!isObject(event)) fail("an event must be a JSON object");
  checkString(event, "type", true);
  checkString(event, "sender", true);
  checkString(event, "state_key", false);
  checkString(event, "event_id", rules.eventIdFormat === "server-assigned");
  // v12 create events have no room_id (rule 1.2 of the auth rules rejects one that does).
  const roomIdOptional = rules.roomIdFormat === "create-event-hash" && event.type === "m.room.create";
  checkString(event, "room_id", !roomIdOptional);
  if (!isObject(event.content)) fail("content must be an object");
  if (!Number.isInteger(event.origin_server_ts)) fail("origin_server_ts must be an integer");
  if (!Number.isInteger(event.depth) || (event.depth as number) < 0)
    fail("depth must be a non-negative integer");
  if (!isObject(event.hashes) || typeof event.hashes.sha256 !== "string")
    fail("hashes.sha256 must be a string");
  if (!isObject(event.signatures)) fail("signatures must be an object");
  for (const [server, sigs] of Object.entries(event.signatures)) {
    if (!isObject(sigs) || !Object.values(sigs).every((s) => typeof s === "string")) {
      fail(`signatures.${server} must map key IDs to strings`);
    }
  }
  if (event.unsigned !== undefined && !isObject(event.unsigned)) fail("unsigned must be an object");
  for (const key of ["prev_events", "auth_events"] as const) {
    const refs = event[key];
    if (!Array.isArray(refs)) fail(`${key} must be an array`);
    for (const ref of refs) {
      const ok =
        rules.eventReferenceFormat === "id-only"
          ? typeof ref === "string"
          : Array.isArray(ref) && ref.length === 2 && typeof ref[0] === "string" && isObject(ref[1]);
      if (!ok) fail(`${key} has an entry of the wrong format for room version ${roomVersion}`);
    }
  }
  if (rules.redactsInContent && event.type === "m.room.redaction" && event.content.redacts !== undefined) {
    if (typeof event.content.redacts !== "string") fail("content.redacts must be a string");
  }
  if (rules.strictCanonicalJson) {
    try {
      canonicalJson(event);
    } catch (e) {
      fail(`not canonical JSON: ${(e as Error).message}`);
    }
  }
  const size = eventSize(event);
  if (size > MAX_EVENT_BYTES) throw new EventTooLargeError(`event is ${size} bytes, over ${MAX_EVENT_BYTES}`);
}

/**
 * Event IDs ("Event IDs" on each room version's page) and v12 room IDs.
 */
import { encodeBase64, encodeBase64Url } from "../crypto/base64.js";
import { InvalidEventError } from "../errors/index.js";
import { roomVersionRules } from "../room-versions/index.js";
import { referenceHash } from "./hashes.js";

/**
 * The event ID of an event in a room version:
 * - v1, v2: the event's own `event_id` (chosen by its origin server); throws if it has none;
 * - v3: `$` + the reference hash in standard unpadded Base64;
 * - v4+ (v12 included): `$` + the reference hash in URL-safe unpadded Base64.
 * For v3+ the ID is always computed: an `event_id` field on the object is ignored.
 */
export function computeEventId(event: object, roomVersion: string): string {
  const rules = roomVersionRules(roomVersion);
  switch (rules.eventIdFormat) {
    case "server-assigned": {
      const id = (event as { event_id?: unknown }).event_id;
      if (typeof id !== "string")
        throw new InvalidEventError(`Room version ${roomVersion} events carry event_id`);
      return id;
    }
    case "reference-hash-base64":
      return "$" + encodeBase64(referenceHash(event, roomVersion));
    case "reference-hash-urlsafe":
      return "$" + encodeBase64Url(referenceHash(event, roomVersion));
  }
}

/**
 * The ID of an event: its `event_id` field when it carries one (servers keep it internally), else
 * {@link computeEventId}. Use this on events the server already accepted, to avoid rehashing.
 */
export function eventIdOf(event: object, roomVersion: string): string {
  const id = (event as { event_id?: unknown }).event_id;
  return typeof id === "string" ? id : computeEventId(event, roomVersion);
}

/**
 * The room ID a create event makes in a room version whose room IDs are hashes (v12): the create
 * event's ID with the sigil `!` instead of `$`. Undefined for versions with server-assigned room IDs.
 */
export function roomIdFromCreateEvent(createEvent: object, roomVersion: string): string | undefined {
  if (roomVersionRules(roomVersion).roomIdFormat !== "create-event-hash") return undefined;
  return "!" + computeEventId(createEvent, roomVersion).slice(1);
}

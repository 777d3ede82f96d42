/**
 * Room IDs (appendices, "Identifier Grammar" → "Common Identifier Format" → "Room IDs"; room version
 * 12, "Event format").
 *
 * - v1–v11: `!opaque_id:domain`; the opaque ID is any non-surrogate code points except `:` and NUL.
 * - v12: the event ID of the room's `m.room.create` event with `!` for `$`: `!` + the reference hash
 *   in URL-safe unpadded Base64 (43 characters of `[A-Za-z0-9_-]`), with no domain.
 *
 * The whole room ID must not exceed 255 bytes. The format names are those of the room-version table.
 */
import type { RoomIdFormat } from "../room-versions/index.js";
import { InvalidIdentifierError } from "./errors.js";
import { checkOpaqueWithDomain, checkReferenceHash, type EventId, parseEventId } from "./event-id.js";
import { type Check, fail, MAX_IDENTIFIER_BYTES, pass, utf8ByteLength } from "./grammar.js";
import type { ServerName } from "./server-name.js";

/** A room ID that has passed {@link parseRoomId}. */
export type RoomId = string & { readonly __brand: "RoomId" };

/** Options for {@link parseRoomId} and {@link isValidRoomId}. */
export interface ParseRoomIdOptions {
  /** Accept only this room version's format (`RoomVersionRules.roomIdFormat`). Unset: accept either. */
  readonly format?: RoomIdFormat;
}

function checkRoomId(input: unknown, format: RoomIdFormat | undefined): Check<RoomId> {
  if (typeof input !== "string") return fail("not a string");
  if (!input.startsWith("!")) return fail("must start with '!'");
  if (utf8ByteLength(input) > MAX_IDENTIFIER_BYTES) return fail(`longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  const body = input.slice(1);
  let checked: Check<string>;
  if (body.includes(":")) {
    checked =
      format === "create-event-hash"
        ? fail("room IDs in this room version have no server name")
        : checkOpaqueWithDomain(body);
  } else if (format === "server-assigned") {
    checked = fail("missing ':' between opaque ID and server name");
  } else {
    checked = checkReferenceHash(body, true);
    if (!checked.ok && format === undefined) {
      checked = fail(`expected '!opaque:server' or a 43-character URL-safe Base64 hash`);
    }
  }
  return checked.ok ? pass(input as RoomId) : fail(checked.reason);
}

/**
 * Validates a room ID and returns it branded, unchanged. Without `format`, either form is accepted.
 *
 * @throws {@link InvalidIdentifierError} with kind `"RoomId"` if `input` is not a valid room ID.
 */
export function parseRoomId(input: unknown, options: ParseRoomIdOptions = {}): RoomId {
  const checked = checkRoomId(input, options.format);
  if (!checked.ok) throw new InvalidIdentifierError("RoomId", input, checked.reason);
  return checked.value;
}

/** Whether `input` is a valid room ID, in the given room version's format if `format` is set. */
export function isValidRoomId(input: unknown, options: ParseRoomIdOptions = {}): input is RoomId {
  return checkRoomId(input, options.format).ok;
}

/** Which form a room ID takes: with a domain (v1–v11) or the create event's hash (v12). */
export function roomIdFormat(roomId: RoomId): RoomIdFormat {
  return roomId.includes(":") ? "server-assigned" : "create-event-hash";
}

/**
 * The server name of a v1–v11 room ID (after the first `:`); `undefined` for a v12 room ID, which has
 * none (use the create event's `sender` instead, as "Room IDs" advises).
 */
export function roomIdServerName(roomId: RoomId): ServerName | undefined {
  const colon = roomId.indexOf(":");
  return colon === -1 ? undefined : (roomId.slice(colon + 1) as ServerName);
}

/**
 * The v12 room ID of a room whose `m.room.create` event has ID `createEventId`: the same hash with
 * `!` for `$` (room version 12, authorization rule 1.2).
 *
 * @throws {@link InvalidIdentifierError} if `createEventId` is not a URL-safe reference-hash event ID.
 */
export function roomIdFromCreateEventId(createEventId: EventId): RoomId {
  parseEventId(createEventId, { format: "reference-hash-urlsafe" });
  return `!${createEventId.slice(1)}` as RoomId;
}

/**
 * Event IDs (appendices, "Identifier Grammar" → "Common Identifier Format" → "Event IDs"; room
 * versions 1, 3 and 4, "Event IDs").
 *
 * - v1, v2: `$opaque_id:domain`, chosen by the origin server.
 * - v3: `$` + the reference hash (SHA-256) in unpadded Base64: 43 characters of `[A-Za-z0-9+/]`.
 * - v4 and later: the same in URL-safe unpadded Base64: 43 characters of `[A-Za-z0-9_-]`.
 *
 * The whole event ID must not exceed 255 bytes. The format names are those of the room-version table.
 */
import type { EventIdFormat } from "../room-versions/index.js";
import { InvalidIdentifierError } from "./errors.js";
import {
  type Check,
  fail,
  isOpaqueLocalpart,
  MAX_IDENTIFIER_BYTES,
  pass,
  utf8ByteLength,
} from "./grammar.js";
import { checkServerName, type ServerName } from "./server-name.js";

/** An event ID that has passed {@link parseEventId}. */
export type EventId = string & { readonly __brand: "EventId" };

/** Options for {@link parseEventId} and {@link isValidEventId}. */
export interface ParseEventIdOptions {
  /**
   * Accept only this room version's format (`RoomVersionRules.eventIdFormat`). Unset: accept any of
   * the three.
   */
  readonly format?: EventIdFormat;
}

/** The length of an unpadded Base64 SHA-256 hash ("Unpadded Base64"). */
export const REFERENCE_HASH_LENGTH = 43;

const HASH_BASE64 = /^[A-Za-z0-9+/]{43}$/;
const HASH_URLSAFE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Checks `body` (an identifier without its sigil) against the "server-assigned" `opaque:domain` form
 * shared by v1/v2 event IDs and v1–v11 room IDs.
 */
export function checkOpaqueWithDomain(body: string): Check<string> {
  const colon = body.indexOf(":");
  if (colon === -1) return fail("missing ':' between opaque ID and server name");
  const opaque = body.slice(0, colon);
  if (opaque === "") return fail("empty opaque ID");
  if (!isOpaqueLocalpart(opaque)) return fail("opaque ID contains NUL or a lone surrogate");
  const server = checkServerName(body.slice(colon + 1));
  if (!server.ok) return fail(`server name: ${server.reason}`);
  return pass(body);
}

/** Checks `body` (without its sigil) as a reference hash in the given alphabet. */
export function checkReferenceHash(body: string, urlSafe: boolean): Check<string> {
  const pattern = urlSafe ? HASH_URLSAFE : HASH_BASE64;
  if (pattern.test(body)) return pass(body);
  return fail(
    `expected a ${REFERENCE_HASH_LENGTH}-character ${urlSafe ? "URL-safe " : ""}unpadded Base64 reference hash`,
  );
}

function checkEventId(input: unknown, format: EventIdFormat | undefined): Check<EventId> {
  if (typeof input !== "string") return fail("not a string");
  if (!input.startsWith("$")) return fail("must start with '$'");
  if (utf8ByteLength(input) > MAX_IDENTIFIER_BYTES) return fail(`longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  const body = input.slice(1);
  let checked: Check<string>;
  if (body.includes(":")) {
    checked =
      format === undefined || format === "server-assigned"
        ? checkOpaqueWithDomain(body)
        : fail("event IDs in this room version have no server name");
  } else if (format === "server-assigned") {
    checked = fail("missing ':' between opaque ID and server name");
  } else if (format === undefined) {
    checked = HASH_BASE64.test(body) ? pass(body) : checkReferenceHash(body, true);
    if (!checked.ok)
      checked = fail(`expected '$opaque:server' or a ${REFERENCE_HASH_LENGTH}-character Base64 hash`);
  } else {
    checked = checkReferenceHash(body, format === "reference-hash-urlsafe");
  }
  return checked.ok ? pass(input as EventId) : fail(checked.reason);
}

/**
 * Validates an event ID and returns it branded, unchanged. Without `format`, any room version's form
 * is accepted.
 *
 * The last character of a hash is not checked for non-zero trailing bits: an ID with them refers to
 * no event, which the caller finds out anyway.
 *
 * @throws {@link InvalidIdentifierError} with kind `"EventId"` if `input` is not a valid event ID.
 */
export function parseEventId(input: unknown, options: ParseEventIdOptions = {}): EventId {
  const checked = checkEventId(input, options.format);
  if (!checked.ok) throw new InvalidIdentifierError("EventId", input, checked.reason);
  return checked.value;
}

/** Whether `input` is a valid event ID, in the given room version's format if `format` is set. */
export function isValidEventId(input: unknown, options: ParseEventIdOptions = {}): input is EventId {
  return checkEventId(input, options.format).ok;
}

/** The server name of a v1/v2 event ID (after the first `:`); `undefined` for a hash event ID. */
export function eventIdServerName(eventId: EventId): ServerName | undefined {
  const colon = eventId.indexOf(":");
  return colon === -1 ? undefined : (eventId.slice(colon + 1) as ServerName);
}

/**
 * Room aliases (appendices, "Identifier Grammar" → "Common Identifier Format" → "Room Aliases").
 *
 *     #room_alias:domain
 *
 * The localpart is any non-surrogate code points except `:` and NUL; the whole alias must not exceed
 * 255 bytes.
 */
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

/** A room alias that has passed {@link parseRoomAlias}. */
export type RoomAlias = string & { readonly __brand: "RoomAlias" };

function checkRoomAlias(input: unknown): Check<RoomAlias> {
  if (typeof input !== "string") return fail("not a string");
  if (!input.startsWith("#")) return fail("must start with '#'");
  if (utf8ByteLength(input) > MAX_IDENTIFIER_BYTES) return fail(`longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  const colon = input.indexOf(":");
  if (colon === -1) return fail("missing ':' between localpart and server name");
  const localpart = input.slice(1, colon);
  // The grammar `#room_alias:domain` has a localpart; unlike historical user IDs, the spec never
  // allows it to be empty.
  if (localpart === "") return fail("empty localpart");
  if (!isOpaqueLocalpart(localpart)) return fail("localpart contains NUL or a lone surrogate");
  const server = checkServerName(input.slice(colon + 1));
  if (!server.ok) return fail(`server name: ${server.reason}`);
  return pass(input as RoomAlias);
}

/**
 * Validates a room alias and returns it branded, unchanged.
 *
 * @throws {@link InvalidIdentifierError} with kind `"RoomAlias"` if `input` is not a valid room alias.
 */
export function parseRoomAlias(input: unknown): RoomAlias {
  const checked = checkRoomAlias(input);
  if (!checked.ok) throw new InvalidIdentifierError("RoomAlias", input, checked.reason);
  return checked.value;
}

/** Whether `input` is a valid room alias. */
export function isValidRoomAlias(input: unknown): input is RoomAlias {
  return checkRoomAlias(input).ok;
}

/** The localpart of a room alias: between the `#` and the first `:`. */
export function roomAliasLocalpart(alias: RoomAlias): string {
  return alias.slice(1, alias.indexOf(":"));
}

/** The server name of a room alias: after the first `:`. */
export function roomAliasServerName(alias: RoomAlias): ServerName {
  return alias.slice(alias.indexOf(":") + 1) as ServerName;
}

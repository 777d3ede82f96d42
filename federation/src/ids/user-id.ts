/**
 * User IDs (appendices, "Identifier Grammar" → "Common Identifier Format" → "User Identifiers" and
 * "Historical User IDs").
 *
 *     user_id = "@" user_id_localpart ":" server_name
 *     user_id_localpart = 1*user_id_char
 *     user_id_char = DIGIT / %x61-7A / "-" / "." / "=" / "_" / "/" / "+"
 *
 * The whole user ID, sigil and domain included, must not exceed 255 bytes.
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

/** A user ID that has passed {@link parseUserId}. */
export type UserId = string & { readonly __brand: "UserId" };

/** Options for {@link parseUserId} and {@link isValidUserId}. */
export interface ParseUserIdOptions {
  /**
   * Accept historical localparts ("Historical User IDs"): any non-surrogate code points except `:`
   * and NUL, including the empty string. The spec says servers MUST accept these in events received
   * over federation. Leave unset for IDs this server allocates or receives from its own clients.
   */
  readonly historical?: boolean;
}

/** How closely a user ID's localpart follows the current grammar ("Historical User IDs"). */
export type UserIdCompliance =
  /** The current grammar: `[a-z0-9._=\-/+]+`. */
  | "strict"
  /** Historical but compliant: non-empty, every character in U+0021–U+007E. */
  | "historical"
  /** Empty, or with characters outside U+0021–U+007E: accepted in events, not to be forwarded to clients otherwise. */
  | "non-compliant";

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function checkUserId(input: unknown, historical: boolean): Check<UserId> {
  if (typeof input !== "string") return fail("not a string");
  if (!input.startsWith("@")) return fail("must start with '@'");
  if (utf8ByteLength(input) > MAX_IDENTIFIER_BYTES) return fail(`longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  const colon = input.indexOf(":");
  if (colon === -1) return fail("missing ':' between localpart and server name");
  const localpart = input.slice(1, colon);
  if (!STRICT_LOCALPART.test(localpart)) {
    if (!historical) {
      if (localpart === "") return fail("empty localpart");
      const note = isOpaqueLocalpart(localpart) ? " (historical user IDs not accepted here)" : "";
      return fail(`localpart may contain only a-z, 0-9, '.', '_', '=', '-', '/' and '+'${note}`);
    }
    if (!isOpaqueLocalpart(localpart)) return fail("localpart contains NUL or a lone surrogate");
  }
  const server = checkServerName(input.slice(colon + 1));
  if (!server.ok) return fail(`server name: ${server.reason}`);
  return pass(input as UserId);
}

/**
 * Validates a user ID and returns it branded, unchanged. Strict grammar unless `historical` is set.
 *
 * @throws {@link InvalidIdentifierError} with kind `"UserId"` if `input` is not a valid user ID.
 */
export function parseUserId(input: unknown, options: ParseUserIdOptions = {}): UserId {
  const checked = checkUserId(input, options.historical === true);
  if (!checked.ok) throw new InvalidIdentifierError("UserId", input, checked.reason);
  return checked.value;
}

/** Whether `input` is a valid user ID; strict grammar unless `historical` is set. */
export function isValidUserId(input: unknown, options: ParseUserIdOptions = {}): input is UserId {
  return checkUserId(input, options.historical === true).ok;
}

/** The localpart of a user ID: between the `@` and the first `:`. */
export function userLocalpart(userId: UserId): string {
  return userId.slice(1, userId.indexOf(":"));
}

/** The server name of a user ID: after the first `:` (a localpart never contains `:`). */
export function userServerName(userId: UserId): ServerName {
  return userId.slice(userId.indexOf(":") + 1) as ServerName;
}

/**
 * How closely a (possibly historical) user ID follows the current grammar. Servers SHOULD NOT
 * forward `"non-compliant"` user IDs to clients outside the context of an event ("Historical User IDs").
 */
export function userIdCompliance(userId: UserId): UserIdCompliance {
  const localpart = userLocalpart(userId);
  if (STRICT_LOCALPART.test(localpart)) return "strict";
  return PRINTABLE_ASCII.test(localpart) ? "historical" : "non-compliant";
}

/**
 * Whether `localpart` may be registered as a new account: the strict "User Identifiers" grammar
 * (non-empty, lowercase `[a-z0-9._=\-/+]`). With `serverName`, also checks that the resulting user ID
 * fits in 255 bytes. Callers downcase or map the requested username first if they wish
 * ("Mapping from other character sets").
 */
export function isValidLocalpartForRegistration(localpart: string, serverName?: ServerName): boolean {
  return localpartRegistrationProblem(localpart, serverName) === undefined;
}

/**
 * Why `localpart` may not be registered ({@link isValidLocalpartForRegistration}): `characters` when
 * it is empty or has a character outside the strict grammar, else `length` when the user ID would be
 * over 255 bytes; undefined when it is valid.
 */
export function localpartRegistrationProblem(
  localpart: string,
  serverName?: ServerName,
): "characters" | "length" | undefined {
  if (!STRICT_LOCALPART.test(localpart)) return "characters";
  // "@", ":" and a server name of at least one character.
  const rest = serverName === undefined ? 3 : serverName.length + 2;
  return localpart.length + rest <= MAX_IDENTIFIER_BYTES ? undefined : "length";
}

/**
 * The little identifier handling the authorization rules need: domains of IDs, and the user ID check
 * for `m.room.power_levels` `users` keys and v12 `additional_creators`.
 */
import { isValidUserId as isValidUserIdGrammar } from "../ids/user-id.js";

/**
 * The domain (server name) of a user, room, alias or v1/v2 event ID: everything after the first `:`.
 * `undefined` for a value that is not a string or has no `:`.
 */
export function domainOf(id: unknown): string | undefined {
  if (typeof id !== "string") return undefined;
  const colon = id.indexOf(":");
  return colon < 0 ? undefined : id.slice(colon + 1);
}

/**
 * Whether `value` is a user ID acceptable as an event `sender`: the user ID grammar including
 * "Historical User IDs", which servers must accept from federation ("User Identifiers").
 */
export function isValidUserId(value: unknown): value is string {
  return isValidUserIdGrammar(value, { historical: true });
}

/**
 * The narrow view of the authorization rules that state resolution needs: one check, the auth events
 * selection, and a sender's power level. Kept in one file so the rest of `state-res` does not depend
 * on how `auth/` is laid out.
 */
import { checkEventAuth } from "../auth/index.js";
import { userPowerLevel } from "../auth/power-levels.js";
import { authEventTypes } from "../auth/selection.js";
import type { StateResEvent } from "./event-loader.js";

/**
 * Whether `event` passes the authorization rules of `roomVersion` with `authEvents` as the auth
 * state.
 *
 * Any error thrown by the check counts as "not allowed", not only `AuthError`: state resolution runs
 * over events from remote servers, and a malformed event must lose rather than abort the resolution
 * of the whole room.
 */
export function isAllowed(event: StateResEvent, authEvents: readonly object[], roomVersion: string): boolean {
  try {
    checkEventAuth(event, authEvents as object[], roomVersion);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `(type, state_key)` pairs the authorization rules read for `event` ("Auth events selection").
 * Empty for an event without the fields the selection needs.
 */
export function authSelection(
  event: StateResEvent,
  roomVersion: string,
): Array<[type: string, stateKey: string]> {
  if (typeof event.type !== "string" || typeof event.sender !== "string") return [];
  const content = typeof event.content === "object" && event.content !== null ? event.content : {};
  const stateKey = typeof event.state_key === "string" ? event.state_key : undefined;
  return authEventTypes(
    { type: event.type, sender: event.sender, state_key: stateKey, content },
    roomVersion,
  );
}

/**
 * The power level of `event`'s sender given a power levels event (or none) and the create event
 * ("Reverse topological power ordering": "when looking at their respective auth_events").
 * `Infinity` for v12 creators.
 */
export function senderPowerLevel(
  event: StateResEvent,
  powerLevels: object | undefined,
  create: object | undefined,
  roomVersion: string,
): number {
  if (typeof event.sender !== "string") return 0;
  // Without any create event there are no creators to consider.
  return userPowerLevel(event.sender, powerLevels, create ?? {}, roomVersion);
}

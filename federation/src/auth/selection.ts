/**
 * "Auth events selection" (server-server API): the state an event's `auth_events` are chosen from.
 */
import { roomVersionRules } from "../room-versions/index.js";

/** The fields of an event that decide its auth events. */
export interface AuthSelectionInput {
  type: string;
  sender: string;
  state_key?: string | undefined;
  content: object;
}

/**
 * The `(type, state_key)` pairs an event's `auth_events` must be chosen from, each taken from the
 * room state if present there:
 * - the `m.room.create` event (room versions 1–11; v12 must not select it);
 * - the current `m.room.power_levels` event;
 * - the sender's `m.room.member` event;
 * - for `m.room.member` events: the target's member event; `m.room.join_rules` if `membership` is
 *   `join`, `invite` or `knock`; for an invite with `third_party_invite`, the
 *   `m.room.third_party_invite` event whose state key is `content.third_party_invite.signed.token`;
 *   for a join with `content.join_authorised_via_users_server` in a version with restricted joins,
 *   that user's member event.
 *
 * `m.room.create` itself has no auth events. Pairs are unique, in the order above.
 */
export function authEventTypes(
  event: AuthSelectionInput,
  roomVersion: string,
): Array<[type: string, stateKey: string]> {
  const rules = roomVersionRules(roomVersion);
  if (event.type === "m.room.create") return [];
  const out: Array<[string, string]> = [];
  const add = (type: string, stateKey: string): void => {
    if (!out.some(([t, s]) => t === type && s === stateKey)) out.push([type, stateKey]);
  };
  if (rules.auth.createEventInAuthEvents) add("m.room.create", "");
  add("m.room.power_levels", "");
  add("m.room.member", event.sender);
  if (event.type === "m.room.member" && typeof event.state_key === "string") {
    const content = event.content as Record<string, unknown>;
    const membership = content.membership;
    add("m.room.member", event.state_key);
    if (membership === "join" || membership === "invite" || membership === "knock")
      add("m.room.join_rules", "");
    if (membership === "invite") {
      const tpi = content.third_party_invite;
      const signed =
        typeof tpi === "object" && tpi !== null ? (tpi as Record<string, unknown>).signed : undefined;
      const token =
        typeof signed === "object" && signed !== null ? (signed as Record<string, unknown>).token : undefined;
      if (typeof token === "string") add("m.room.third_party_invite", token);
    }
    const authoriser = content.join_authorised_via_users_server;
    if (membership === "join" && rules.auth.restrictedJoins && typeof authoriser === "string") {
      add("m.room.member", authoriser);
    }
  }
  return out;
}

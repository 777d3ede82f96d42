/**
 * Restricted rooms (client-server API "Restricted rooms"; server-server API "Restricted rooms"):
 * a user who is not invited may join a `restricted` or `knock_restricted` room when they are in one
 * of the rooms its join rule allows. The join event must then name, in
 * `join_authorised_via_users_server`, a member of a resident server who may invite, and that
 * server signs the event. This module decides, for a join through us, whom to name.
 */
import { MatrixError, namedPowerLevel, userPowerLevel } from "@hearth/federation";
import type { EventStore } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "./current-state.js";

export interface RestrictedJoinDeps {
  readonly serverName: string;
  readonly rooms: RoomStore;
  readonly events: EventStore;
}

/**
 * The local member to name in `join_authorised_via_users_server` for `userId` joining `roomId`, or
 * undefined when none is needed (the join rule is not restricted, or the user is invited or joined
 * already).
 *
 * Throws, with the errcodes of `make_join`: `M_UNABLE_TO_AUTHORISE_JOIN` (400) when this server is
 * in none of the allowed rooms and so cannot tell; `M_FORBIDDEN` when it is and the user is in none
 * of them; `M_UNABLE_TO_GRANT_JOIN` (400) when the user qualifies but no local member may invite,
 * so another resident server should be asked.
 */
export async function restrictedJoinAuthoriser(
  deps: RestrictedJoinDeps,
  userId: string,
  roomId: string,
): Promise<string | undefined> {
  const membership = (await deps.rooms.membership(userId, roomId))?.membership;
  if (membership === "invite" || membership === "join") return undefined;
  const joinRules = await currentStateEvent(deps, roomId, "m.room.join_rules");
  const rule = (joinRules?.pdu.content as { join_rule?: unknown; allow?: unknown } | undefined) ?? {};
  if (rule.join_rule !== "restricted" && rule.join_rule !== "knock_restricted") return undefined;
  let known = false;
  let allowed = false;
  for (const allowedRoom of allowedRoomIds(rule)) {
    if (!(await deps.rooms.info(allowedRoom))) continue;
    known = true;
    if ((await deps.rooms.membership(userId, allowedRoom))?.membership === "join") allowed = true;
  }
  if (!known) {
    throw new MatrixError(
      "M_UNABLE_TO_AUTHORISE_JOIN",
      "This server is in none of the rooms whose members may join this room",
    );
  }
  if (!allowed) throw new MatrixError("M_FORBIDDEN", "You are not allowed to join this room");
  const info = (await deps.rooms.info(roomId))!;
  const create = await currentStateEvent(deps, roomId, "m.room.create");
  const pl = await currentStateEvent(deps, roomId, "m.room.power_levels");
  const inviteLevel = namedPowerLevel("invite", pl?.pdu, info.roomVersion);
  for (const [member, record] of await deps.rooms.membersOfRoom(roomId)) {
    if (record.membership !== "join" || !member.endsWith(`:${deps.serverName}`)) continue;
    if (userPowerLevel(member, pl?.pdu, create!.pdu, info.roomVersion) >= inviteLevel) return member;
  }
  throw new MatrixError("M_UNABLE_TO_GRANT_JOIN", "No member on this server may authorise the join");
}

/** The rooms whose members a join rule's `allow` conditions admit (`m.room_membership` only). */
export function allowedRoomIds(joinRules: unknown): string[] {
  const allow = (joinRules as { allow?: unknown } | undefined)?.allow;
  if (!Array.isArray(allow)) return [];
  return allow
    .filter(
      (a: { type?: unknown; room_id?: unknown }) =>
        a?.type === "m.room_membership" && typeof a.room_id === "string",
    )
    .map((a: { room_id: string }) => a.room_id);
}

/** Whether a user is joined to one of `roomIds` (a restricted room's allowed rooms). */
export async function inAnyRoom(
  rooms: RoomStore,
  userId: string,
  roomIds: readonly unknown[],
): Promise<boolean> {
  for (const id of roomIds) {
    if (typeof id === "string" && (await rooms.membership(userId, id))?.membership === "join") return true;
  }
  return false;
}

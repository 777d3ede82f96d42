/** The room write-path routes. */
import type { Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { joinedRooms } from "./get-joined-rooms.js";
import { createRoom } from "./post-create-room.js";
import { joinByIdOrAlias, joinRoom, knockRoom } from "./post-join.js";
import { forgetRoom, leaveRoom, membershipOnTarget } from "./post-membership.js";
import { redactEventWithoutTxnId } from "./post-redact.js";
import { sendEventWithoutTxnId } from "./post-send.js";
import { upgradeRoom } from "./post-upgrade.js";
import { redactEvent } from "./put-redact.js";
import { sendEvent } from "./put-send.js";
import { putState } from "./put-state.js";

/** Every room write-path route. */
export function roomRoutes(rooms: RoomService): Route[] {
  return [
    createRoom(rooms),
    joinByIdOrAlias(rooms),
    joinRoom(rooms),
    knockRoom(rooms),
    membershipOnTarget(rooms, "invite"),
    membershipOnTarget(rooms, "kick"),
    membershipOnTarget(rooms, "ban"),
    membershipOnTarget(rooms, "unban"),
    leaveRoom(rooms),
    forgetRoom(rooms),
    sendEvent(rooms),
    sendEventWithoutTxnId(rooms),
    putState(rooms),
    redactEvent(rooms),
    redactEventWithoutTxnId(rooms),
    joinedRooms(rooms),
    upgradeRoom(rooms),
  ];
}

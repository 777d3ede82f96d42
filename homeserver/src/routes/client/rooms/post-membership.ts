// POST /_matrix/client/v3/rooms/{roomId}/{invite,leave,kick,ban,unban,forget} ("Room membership")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { reason, roomIdParam, targetUser } from "./parse.js";

type TargetAction = "invite" | "kick" | "ban" | "unban";

const ENDPOINTS = {
  invite: clientApi.inviteUser,
  kick: clientApi.kickUser,
  ban: clientApi.banUser,
  unban: clientApi.unbanUser,
} as const;

/** `POST /rooms/{roomId}/{invite|kick|ban|unban}` with `user_id` and optional `reason`. */
export function membershipOnTarget(rooms: RoomService, action: TargetAction): Route {
  return {
    ...fromEndpoint(ENDPOINTS[action]),
    async handler(req) {
      const roomId = roomIdParam(req.param("roomId"));
      const body = await req.json();
      await rooms[action](req.user().userId, roomId, targetUser(body), reason(body));
      return ok({});
    },
  };
}

/** `POST /rooms/{roomId}/leave`. */
export function leaveRoom(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.leaveRoom),
    guest: true,
    async handler(req) {
      await rooms.leave(req.user().userId, roomIdParam(req.param("roomId")), reason(await req.json()));
      return ok({});
    },
  };
}

/** `POST /rooms/{roomId}/forget`. */
export function forgetRoom(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.forgetRoom),
    async handler(req) {
      await rooms.forget(req.user().userId, roomIdParam(req.param("roomId")));
      return ok({});
    },
  };
}

// POST /_matrix/client/v3/join/{roomIdOrAlias} and /rooms/{roomId}/join ("Joining rooms")
import { clientApi } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { reason, roomIdOrAliasParam, roomIdParam } from "./parse.js";

/** `POST /join/{roomIdOrAlias}`. */
export function joinByIdOrAlias(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.joinRoom),
    guest: true,
    async handler(req) {
      const target = roomIdOrAliasParam(req.param("roomIdOrAlias"));
      // Servers to join through: `via` (v1.12) and the older `server_name`, both repeatable.
      const servers = [...(req.c.req.queries("via") ?? []), ...(req.c.req.queries("server_name") ?? [])];
      const roomId = await rooms.join(req.user().userId, target, reason(await req.json()), servers);
      return ok({ room_id: roomId });
    },
  };
}

/** `POST /rooms/{roomId}/join`. */
export function joinRoom(rooms: RoomService): Route {
  return {
    method: "POST",
    paths: clientPaths("/rooms/:roomId/join"),
    auth: "required",
    guest: true,
    async handler(req) {
      const roomId = await rooms.join(
        req.user().userId,
        roomIdParam(req.param("roomId")),
        reason(await req.json()),
      );
      return ok({ room_id: roomId });
    },
  };
}

/** `POST /knock/{roomIdOrAlias}` ("Knocking on rooms"). */
export function knockRoom(rooms: RoomService): Route {
  return {
    method: "POST",
    paths: clientPaths("/knock/:roomIdOrAlias", { r0: false }),
    auth: "required",
    async handler(req) {
      const target = roomIdOrAliasParam(req.param("roomIdOrAlias"));
      const servers = [...(req.c.req.queries("via") ?? []), ...(req.c.req.queries("server_name") ?? [])];
      const roomId = await rooms.knock(req.user().userId, target, reason(await req.json()), servers);
      return ok({ room_id: roomId });
    },
  };
}

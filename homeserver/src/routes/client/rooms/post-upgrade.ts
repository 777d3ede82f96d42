// POST /_matrix/client/v3/rooms/{roomId}/upgrade ("Room Upgrades")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalStringArray, requiredString } from "../../../http/validate.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { roomIdParam } from "./parse.js";

/** `POST /rooms/{roomId}/upgrade`. */
export function upgradeRoom(rooms: RoomService): Route {
  return {
    method: "POST",
    paths: clientPaths("/rooms/:roomId/upgrade"),
    auth: "required",
    async handler(req) {
      const body = await req.json();
      const replacement = await rooms.upgrade(
        req.user().userId,
        roomIdParam(req.param("roomId")),
        requiredString(body, "new_version", 64),
        optionalStringArray(body, "additional_creators", 100),
      );
      return ok({ replacement_room: replacement });
    },
  };
}

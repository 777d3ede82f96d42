// GET /_matrix/client/v3/joined_rooms ("Room membership")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";

/** `GET /joined_rooms`. */
export function joinedRooms(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.joinedRooms),
    guest: true,
    async handler(req) {
      return ok({ joined_rooms: await rooms.joinedRooms(req.user().userId) });
    },
  };
}

// GET /_matrix/client/v3/rooms/{roomId}/state ("Getting events for a room")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/state`: the state events; the state when they left for a departed user. */
export function getState(reads: RoomReadService): Route {
  return {
    method: "GET",
    paths: clientPaths("/rooms/:roomId/state"),
    auth: "required",
    async handler(req) {
      return ok(await reads.state(req.user(), roomIdParam(req.param("roomId"))));
    },
  };
}

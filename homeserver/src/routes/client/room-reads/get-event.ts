// GET /_matrix/client/v3/rooms/{roomId}/event/{eventId} ("Getting events for a room")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/event/{eventId}`: 404 `M_NOT_FOUND` when unknown or not visible. */
export function getEvent(reads: RoomReadService): Route {
  return {
    method: "GET",
    paths: clientPaths("/rooms/:roomId/event/:eventId"),
    auth: "required",
    async handler(req) {
      return ok(await reads.event(req.user(), roomIdParam(req.param("roomId")), req.param("eventId")));
    },
  };
}

// GET /_matrix/client/v3/rooms/{roomId}/event/{eventId} ("Getting events for a room")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/event/{eventId}`: 404 `M_NOT_FOUND` when unknown or not visible. */
export function getEvent(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getEvent),
    guest: true,
    async handler(req) {
      return ok(await reads.event(req.user(), roomIdParam(req.param("roomId")), req.param("eventId")));
    },
  };
}

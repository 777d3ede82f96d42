// GET /_matrix/client/v3/rooms/{roomId}/state ("Getting events for a room")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/state`: the state events; the state when they left for a departed user. */
export function getState(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getState),
    guest: true,
    async handler(req) {
      return ok(await reads.state(req.user(), roomIdParam(req.param("roomId"))));
    },
  };
}

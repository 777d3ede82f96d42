// GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} ("Getting events for a room")
import { clientApi, MatrixError } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { eventTypeParam, roomIdParam } from "../rooms/parse.js";

/**
 * `GET /rooms/{roomId}/state/{eventType}/{stateKey}`: the content (or the event with
 * `?format=event`); the state key may be empty, with or without the trailing slash.
 */
export function getStateEvent(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getStateEvent, [
      ...clientPaths("/rooms/:roomId/state/:eventType/"),
      ...clientPaths("/rooms/:roomId/state/:eventType"),
    ]),
    guest: true,
    async handler(req) {
      const format = req.c.req.query("format") ?? "content";
      if (format !== "content" && format !== "event") {
        throw new MatrixError("M_INVALID_PARAM", "'format' must be 'content' or 'event'");
      }
      return ok(
        await reads.stateEvent(
          req.user(),
          roomIdParam(req.param("roomId")),
          eventTypeParam(req.param("eventType")),
          req.c.req.param("stateKey") ?? "",
          format,
        ),
      );
    },
  };
}

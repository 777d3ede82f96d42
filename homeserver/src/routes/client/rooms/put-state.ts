// PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} ("Sending events to a room")
import { clientApi, MatrixError } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { eventTypeParam, roomIdParam } from "./parse.js";

/** `PUT /rooms/{roomId}/state/{eventType}/{stateKey}`; the state key may be empty (path without it). */
export function putState(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.setState, [
      ...clientPaths("/rooms/:roomId/state/:eventType/"),
      ...clientPaths("/rooms/:roomId/state/:eventType"),
    ]),
    guest: true,
    rateLimit: "message",
    async handler(req) {
      const stateKey = req.c.req.param("stateKey") ?? "";
      if (Buffer.byteLength(stateKey) > 255) throw new MatrixError("M_INVALID_PARAM", "State key too long");
      const eventId = await rooms.setState(
        req.user().userId,
        roomIdParam(req.param("roomId")),
        eventTypeParam(req.param("eventType")),
        stateKey,
        await req.json(),
      );
      return ok({ event_id: eventId });
    },
  };
}

// PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} ("Sending events to a room")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { eventTypeParam, roomIdParam, txnIdParam } from "./parse.js";

/** `PUT /rooms/{roomId}/send/{eventType}/{txnId}`: idempotent per device and transaction ID. */
export function sendEvent(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.sendMessage),
    guest: true,
    rateLimit: "message",
    async handler(req) {
      const user = req.user();
      const eventId = await rooms.sendEvent(
        user.userId,
        user.deviceId,
        roomIdParam(req.param("roomId")),
        eventTypeParam(req.param("eventType")),
        txnIdParam(req.param("txnId")),
        await req.json(),
      );
      return ok({ event_id: eventId });
    },
  };
}

// POST /_matrix/client/v3/rooms/{roomId}/send/{eventType}: legacy, not in the current spec (it has only
// the PUT with a transaction ID, "Sending events to a room"); kept for older clients, specs/legacy.md.
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { eventTypeParam, roomIdParam } from "./parse.js";

/**
 * `POST /rooms/{roomId}/send/{eventType}`: as the PUT, without a transaction ID, so not idempotent:
 * every call sends a new event, and the event carries no `unsigned.transaction_id` (as Synapse).
 */
export function sendEventWithoutTxnId(rooms: RoomService): Route {
  return {
    method: "POST",
    paths: clientPaths("/rooms/:roomId/send/:eventType"),
    auth: "required",
    guest: true,
    rateLimit: "message",
    async handler(req) {
      const user = req.user();
      const eventId = await rooms.sendEvent(
        user.userId,
        user.deviceId,
        roomIdParam(req.param("roomId")),
        eventTypeParam(req.param("eventType")),
        undefined,
        await req.json(),
      );
      return ok({ event_id: eventId });
    },
  };
}

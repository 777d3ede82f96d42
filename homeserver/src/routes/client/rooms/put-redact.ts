// PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} ("Redactions")
import { clientApi, isValidEventId, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { roomIdParam, txnIdParam } from "./parse.js";

/** `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`. */
export function redactEvent(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.redactEvent),
    rateLimit: "message",
    async handler(req) {
      const eventId = req.param("eventId");
      if (!isValidEventId(eventId)) throw new MatrixError("M_INVALID_PARAM", "Invalid event ID");
      const body = await req.json();
      const r = optionalString(body, "reason", 4096);
      const user = req.user();
      const id = await rooms.redact(
        user.userId,
        user.deviceId,
        roomIdParam(req.param("roomId")),
        eventId,
        txnIdParam(req.param("txnId")),
        r !== undefined ? { reason: r } : {},
      );
      return ok({ event_id: id });
    },
  };
}

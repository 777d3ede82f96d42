// POST /_matrix/client/v3/rooms/{roomId}/redact/{eventId}: legacy, not in the current spec (it has only
// the PUT with a transaction ID, "Redactions"); kept for older clients, specs/legacy.md.
import { isValidEventId, MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import type { RoomService } from "../../../services/rooms/room-service.js";
import { roomIdParam } from "./parse.js";

/**
 * `POST /rooms/{roomId}/redact/{eventId}`: as the PUT, without a transaction ID, so not idempotent:
 * every call sends a new redaction (as Synapse).
 */
export function redactEventWithoutTxnId(rooms: RoomService): Route {
  return {
    method: "POST",
    paths: clientPaths("/rooms/:roomId/redact/:eventId"),
    auth: "required",
    rateLimit: "message",
    async handler(req) {
      const eventId = req.param("eventId");
      if (!isValidEventId(eventId)) throw new MatrixError("M_INVALID_PARAM", "Invalid event ID");
      const reason = optionalString(await req.json(), "reason", 4096);
      const user = req.user();
      const id = await rooms.redact(
        user.userId,
        user.deviceId,
        roomIdParam(req.param("roomId")),
        eventId,
        undefined,
        reason !== undefined ? { reason } : {},
      );
      return ok({ event_id: id });
    },
  };
}

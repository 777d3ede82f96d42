/**
 * Endpoints clients call at start or from their settings that have little to do here, answered
 * honestly rather than with 404:
 * - `GET /account/3pid`: this server keeps no third-party identifiers (email, phone), so none;
 * - `GET /thirdparty/protocols`: no bridges (application services), so no protocols;
 * - `GET /voip/turnServer`: no TURN server is configured, so `{}` (as Synapse answers then);
 * - `POST /rooms/{roomId}/report/{eventId}` and `POST /rooms/{roomId}/report` ("Reporting
 *   content"): kept for the server's administrators (and logged).
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "@hearth/federation";
import type { Logger } from "pino";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import { type Database, put } from "../../../storage/db.js";
import type { EventStore } from "../../../storage/events.js";
import { key } from "../../../storage/keys.js";
import type { RoomStore } from "../../../storage/rooms.js";
import { roomIdParam } from "../rooms/parse.js";

/** What these routes need. */
export interface MiscRouteDeps {
  readonly db: Database;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly logger: Pick<Logger, "info">;
  readonly now: () => number;
}

/** The routes. */
export function miscRoutes(deps: MiscRouteDeps): Route[] {
  const reports = deps.db.keyspace<Record<string, unknown>>("reports");
  const report = async (
    userId: string,
    roomId: string,
    eventId: string | undefined,
    body: Record<string, unknown>,
  ) => {
    const reason = optionalString(body, "reason", 1000);
    if (body.score !== undefined && (typeof body.score !== "number" || body.score < -100 || body.score > 0)) {
      throw new MatrixError("M_INVALID_PARAM", "score must be between -100 and 0");
    }
    // Only what the reporter can see can be reported: a room they are in, an event of that room.
    if ((await deps.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_NOT_FOUND", "Unknown room");
    }
    if (eventId !== undefined) {
      const ev = await deps.events.get(eventId);
      if (!ev || ev.roomId !== roomId) throw new MatrixError("M_NOT_FOUND", "Unknown event");
    }
    const ts = deps.now();
    await deps.db.write([
      put(reports, key(ts, randomBytes(6).toString("hex")), {
        user_id: userId,
        room_id: roomId,
        ...(eventId ? { event_id: eventId } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(typeof body.score === "number" ? { score: body.score } : {}),
        received_ts: ts,
      }),
    ]);
    deps.logger.info({ userId, roomId, eventId, reason }, "content reported");
    return ok({});
  };
  return [
    {
      method: "GET",
      paths: clientPaths("/account/3pid"),
      auth: "required",
      handler: () => ok({ threepids: [] }),
    },
    {
      method: "GET",
      paths: clientPaths("/thirdparty/protocols"),
      auth: "required",
      handler: () => ok({}),
    },
    {
      method: "GET",
      paths: clientPaths("/voip/turnServer"),
      auth: "required",
      handler: () => ok({}),
    },
    {
      method: "POST",
      paths: clientPaths("/rooms/:roomId/report/:eventId"),
      auth: "required",
      rateLimit: "message",
      handler: async (req) =>
        report(req.user().userId, roomIdParam(req.param("roomId")), req.param("eventId"), await req.json()),
    },
    {
      method: "POST",
      paths: clientPaths("/rooms/:roomId/report"),
      auth: "required",
      rateLimit: "message",
      handler: async (req) =>
        report(req.user().userId, roomIdParam(req.param("roomId")), undefined, await req.json()),
    },
  ];
}

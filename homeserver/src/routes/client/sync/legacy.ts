// The deprecated event stream and initial syncs (Client-Server API, data/api/client-server/old_sync.yaml,
// peeking_events.yaml, room_initial_sync.yaml): GET /events, GET /initialSync,
// GET /rooms/{roomId}/initialSync, GET /events/{eventId}. Deprecated since r0; kept for old clients.
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { LegacySyncService } from "../../../services/sync/legacy-sync.js";
import { roomIdParam } from "../rooms/parse.js";

/** The legacy sync routes. */
export function legacySyncRoutes(legacy: LegacySyncService): Route[] {
  return [
    {
      method: "GET",
      paths: clientPaths("/events"),
      auth: "required",
      // Guests read the event stream only to preview a room ("Guest Access", "Room Previews").
      guest: (req) => req.c.req.query("room_id") !== undefined,
      async handler(req) {
        const q = (name: string) => req.c.req.query(name);
        const roomId = q("room_id");
        return ok(
          await legacy.events(req.user(), {
            ...(q("from") !== undefined ? { from: q("from")! } : {}),
            timeoutMs: queryInteger(q("timeout"), "timeout", 0, Number.MAX_SAFE_INTEGER) ?? 0,
            ...(roomId !== undefined ? { roomId: roomIdParam(roomId) } : {}),
            signal: req.c.req.raw.signal,
          }),
        );
      },
    },
    {
      method: "GET",
      paths: clientPaths("/initialSync"),
      auth: "required",
      async handler(req) {
        const q = (name: string) => req.c.req.query(name);
        const limit = queryInteger(q("limit"), "limit", 0, 1000) ?? 10;
        const archived = queryBoolean(q("archived"), "archived") ?? false;
        return ok(await legacy.initialSync(req.user(), { limit, archived }));
      },
    },
    {
      method: "GET",
      paths: clientPaths("/rooms/:roomId/initialSync"),
      auth: "required",
      guest: true,
      handler: async (req) => ok(await legacy.roomInitialSync(req.user(), roomIdParam(req.param("roomId")))),
    },
    {
      method: "GET",
      paths: clientPaths("/events/:eventId"),
      auth: "required",
      async handler(req) {
        const eventId = req.param("eventId");
        if (!eventId.startsWith("$")) throw new MatrixError("M_INVALID_PARAM", "Not an event ID");
        return ok(await legacy.event(req.user(), eventId));
      },
    },
  ];
}

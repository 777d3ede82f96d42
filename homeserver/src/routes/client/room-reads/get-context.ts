// GET /_matrix/client/v3/rooms/{roomId}/context/{eventId} ("Getting events for a room")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { queryInteger } from "../../../http/validate.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";
import { roomEventFilterParam } from "./parse.js";

/** Largest `limit` of `/context`. */
export const MAX_CONTEXT_LIMIT = 1000;

/** `GET /rooms/{roomId}/context/{eventId}`: `limit` (default 10, split before/after), `filter`. */
export function getContext(reads: RoomReadService): Route {
  return {
    method: "GET",
    paths: clientPaths("/rooms/:roomId/context/:eventId"),
    auth: "required",
    guest: true,
    async handler(req) {
      const roomId = roomIdParam(req.param("roomId"));
      const limit = queryInteger(req.c.req.query("limit"), "limit", 0, MAX_CONTEXT_LIMIT) ?? 10;
      const filter = roomEventFilterParam(req.c.req.query("filter"));
      return ok(await reads.context(req.user(), roomId, req.param("eventId"), limit, filter));
    },
  };
}

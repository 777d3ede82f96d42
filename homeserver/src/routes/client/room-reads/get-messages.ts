// GET /_matrix/client/v3/rooms/{roomId}/messages ("Getting events for a room")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { queryInteger } from "../../../http/validate.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";
import { dirParam, roomEventFilterParam, tokenParam } from "./parse.js";

/** Largest `limit` of `/messages`. */
export const MAX_MESSAGES_LIMIT = 1000;

/** `GET /rooms/{roomId}/messages`: `from`, `to`, `dir` (required), `limit` (default 10), `filter`. */
export function getMessages(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getMessages),
    guest: true,
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const user = req.user();
      const roomId = roomIdParam(req.param("roomId"));
      const dir = dirParam(q("dir"));
      const limit = queryInteger(q("limit"), "limit", 0, MAX_MESSAGES_LIMIT) ?? 10;
      const filter = roomEventFilterParam(q("filter"));
      const from = tokenParam(q("from"));
      const to = tokenParam(q("to"));
      return ok(
        await reads.messages(user, roomId, {
          dir,
          limit: filter?.limit !== undefined ? Math.min(limit, filter.limit) : limit,
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(filter ? { filter } : {}),
        }),
      );
    },
  };
}

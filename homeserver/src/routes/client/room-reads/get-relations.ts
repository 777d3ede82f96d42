// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] ("Relationships")
// and GET /_matrix/client/v1/rooms/{roomId}/threads ("Threading").
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { RelationReadService } from "../../../services/sync/relation-reads.js";
import { roomIdParam } from "../rooms/parse.js";
import { tokenParam } from "./parse.js";

const BASE = "/_matrix/client/v1/rooms/:roomId/relations/:eventId";

/** `GET /rooms/{roomId}/relations/…`: a parent's children, newest first unless `dir=f`. */
export function getRelations(reads: RelationReadService): Route {
  return {
    ...fromEndpoint(clientApi.getRelations, [`${BASE}/:relType`, `${BASE}/:relType/:eventType`]),
    guest: true,
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const dir = q("dir") ?? "b";
      if (dir !== "b" && dir !== "f") throw new MatrixError("M_INVALID_PARAM", "'dir' must be 'b' or 'f'");
      const relType = req.c.req.param("relType");
      const eventType = req.c.req.param("eventType");
      const from = tokenParam(q("from"));
      const to = tokenParam(q("to"));
      const recurse = queryBoolean(q("recurse"), "recurse");
      return ok(
        await reads.relations(req.user(), roomIdParam(req.param("roomId")), req.param("eventId"), {
          dir,
          limit: Math.min(queryInteger(q("limit"), "limit", 0, 10_000) ?? 50, 100),
          ...(relType ? { relType } : {}),
          ...(eventType ? { eventType } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(recurse !== undefined ? { recurse } : {}),
        }),
      );
    },
  };
}

/** `GET /rooms/{roomId}/threads`. */
export function getThreads(reads: RelationReadService): Route {
  return {
    method: "GET",
    paths: ["/_matrix/client/v1/rooms/:roomId/threads"],
    auth: "required",
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const include = q("include") ?? "all";
      if (include !== "all" && include !== "participated") {
        throw new MatrixError("M_INVALID_PARAM", "'include' must be 'all' or 'participated'");
      }
      const from = tokenParam(q("from"));
      return ok(
        await reads.threads(req.user(), roomIdParam(req.param("roomId")), {
          include,
          limit: Math.min(queryInteger(q("limit"), "limit", 0, 10_000) ?? 50, 100),
          ...(from ? { from } : {}),
        }),
      );
    },
  };
}

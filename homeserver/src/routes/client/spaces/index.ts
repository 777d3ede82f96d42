// GET /_matrix/client/v1/rooms/{roomId}/hierarchy ("Spaces")
import { ok, type Route } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { SpaceHierarchy } from "../../../services/rooms/space-hierarchy.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/hierarchy`. */
export function hierarchyRoute(spaces: SpaceHierarchy): Route {
  return {
    method: "GET",
    paths: ["/_matrix/client/v1/rooms/:roomId/hierarchy"],
    auth: "required",
    guest: true,
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const limit = queryInteger(q("limit"), "limit", 1, 1000);
      const maxDepth = queryInteger(q("max_depth"), "max_depth", 0, 100);
      const from = q("from");
      return ok(
        await spaces.hierarchy({ userId: req.user().userId }, roomIdParam(req.param("roomId")), {
          suggestedOnly: queryBoolean(q("suggested_only"), "suggested_only") ?? false,
          ...(limit !== undefined ? { limit } : {}),
          ...(maxDepth !== undefined ? { maxDepth } : {}),
          ...(from ? { from } : {}),
        }),
      );
    },
  };
}

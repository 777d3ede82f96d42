// GET /_matrix/federation/v1/hierarchy/{roomId} (Server-Server API, "Spaces")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { SpaceHierarchy } from "../../services/rooms/space-hierarchy.js";

/** A space and its children, as far as the requesting server may preview them. */
export function getHierarchyRoute(spaces: SpaceHierarchy): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/hierarchy/:roomId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      return ok(
        await spaces.forServer(req.origin, req.param("roomId"), req.query("suggested_only") === "true"),
      );
    },
  };
}

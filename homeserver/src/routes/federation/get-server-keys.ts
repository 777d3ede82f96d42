// GET /_matrix/key/v2/server (Server-Server API, "Publishing Keys")
import { type FederationRoute, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/**
 * Our signed key response. The `/{keyId}` form was removed from the spec but older servers still ask
 * for it; the key ID is ignored (all keys are returned), as the spec then allowed.
 */
export function getServerKeysRoute(deps: Pick<FederationServingDeps, "keys">): FederationRoute {
  return {
    method: "GET",
    paths: ["/_matrix/key/v2/server", "/_matrix/key/v2/server/:keyId"],
    auth: "none",
    handler: () => ok(deps.keys.serverKeys()),
  };
}

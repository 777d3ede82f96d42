// GET /_matrix/federation/v1/version (Server-Server API, "Server implementation")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/** The implementation name and version. */
export function getVersionRoute(deps: Pick<FederationServingDeps, "version">): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/version")],
    auth: "none",
    handler: () => ok({ server: { name: "Hearth", version: deps.version } }),
  };
}

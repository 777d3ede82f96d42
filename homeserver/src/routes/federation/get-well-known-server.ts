// GET /.well-known/matrix/server (Server-Server API, "Server discovery", wellknown.yaml)
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, ok } from "../../federation/route.js";
import { ok as clientOk, type Route } from "../../http/route.js";
import type { FederationServingDeps } from "./deps.js";

/**
 * The delegation to advertise, or undefined when there is nothing useful to say.
 *
 * Discovery reads `.well-known` only for a server name that is a host name without a port (steps 1
 * and 2 never ask), and without it falls back to SRV records and then port 8448 (steps 4–6). So we
 * delegate only when it changes something: our federation listener is on another port than 8448;
 * then `m.server` is `<server name>:<port>` (step 3.2: same host and certificate, that port). We never
 * delegate to a name whose discovery would ask us again, so no loop is possible. Behind a reverse
 * proxy whose public port differs, serve `.well-known` from the proxy instead.
 */
export function wellKnownDelegation(
  serverName: string,
  federationPort: number | undefined,
): string | undefined {
  if (federationPort === undefined || federationPort === 8448) return undefined;
  // IP literals and names with a port are resolved without `.well-known`.
  if (serverName.startsWith("[") || serverName.includes(":") || /^[\d.]+$/.test(serverName)) return undefined;
  return `${serverName}:${federationPort}`;
}

function answer(deps: Pick<FederationServingDeps, "serverName" | "federationPort">) {
  const delegation = wellKnownDelegation(deps.serverName, deps.federationPort());
  if (delegation === undefined) throw new MatrixError("M_NOT_FOUND", "No server delegation");
  return { "m.server": delegation };
}

/** The `.well-known/matrix/server` route of the federation listener. */
export function getWellKnownServerRoute(
  deps: Pick<FederationServingDeps, "serverName" | "federationPort">,
): FederationRoute {
  return {
    method: "GET",
    paths: ["/.well-known/matrix/server"],
    auth: "none",
    handler: () => ok(answer(deps)),
  };
}

/** The same document as a client-listener route (the lead adds it to the client routes). */
export function wellKnownServerClientRoute(
  deps: Pick<FederationServingDeps, "serverName" | "federationPort">,
): Route {
  return {
    method: "GET",
    paths: ["/.well-known/matrix/server"],
    auth: "none",
    handler: () => clientOk(answer(deps)),
  };
}

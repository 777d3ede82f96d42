// POST /_matrix/federation/v1/user/keys/query and POST /_matrix/federation/v1/user/keys/claim (Server-Server API, "End-to-End Encryption")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

function objectField(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = body[name];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MatrixError("M_BAD_JSON", `${name} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Only the entries for our own users: other servers' users are not ours to answer for. */
function ours(deps: Pick<FederationServingDeps, "serverName">, wanted: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(wanted).filter(([userId]) => domainOf(userId) === deps.serverName),
  );
}

/**
 * Device keys (with master and self-signing keys) and one-time key claims for our users, from the
 * key service; without one (no key storage wired), every user asked about has no keys.
 */
export function userKeysRoutes(
  deps: Pick<FederationServingDeps, "serverName" | "e2eKeys">,
): FederationRoute[] {
  return [
    {
      method: "POST",
      paths: [federationPath("/user/keys/query")],
      auth: "x-matrix",
      async handler(req) {
        const wanted = ours(deps, objectField(await req.json(), "device_keys"));
        if (deps.e2eKeys) return ok(await deps.e2eKeys.queryLocal(wanted));
        return ok({ device_keys: Object.fromEntries(Object.keys(wanted).map((u) => [u, {}])) });
      },
    },
    {
      method: "POST",
      paths: [federationPath("/user/keys/claim")],
      auth: "x-matrix",
      async handler(req) {
        const wanted = ours(deps, objectField(await req.json(), "one_time_keys"));
        return ok({ one_time_keys: deps.e2eKeys ? await deps.e2eKeys.claimLocal(wanted) : {} });
      },
    },
  ];
}

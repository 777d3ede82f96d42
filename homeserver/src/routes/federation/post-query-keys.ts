// POST /_matrix/key/v2/query (Server-Server API, "Querying Keys Through Another Server")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, ok } from "../../federation/route.js";
import { isJsonObject } from "../../http/validate.js";
import type { FederationServingDeps } from "./deps.js";

/** The most servers one notary query may ask about. */
export const MAX_NOTARY_SERVERS = 100;

/** The keys of several servers, as cached or fetched, signed by us as notary. */
export function postQueryKeysRoute(deps: Pick<FederationServingDeps, "keys">): FederationRoute {
  return {
    method: "POST",
    paths: ["/_matrix/key/v2/query"],
    auth: "none",
    async handler(req) {
      const body = await req.json();
      if (!isJsonObject(body.server_keys))
        throw new MatrixError("M_BAD_JSON", "server_keys must be an object");
      const servers = Object.entries(body.server_keys);
      if (servers.length > MAX_NOTARY_SERVERS) {
        throw new MatrixError("M_BAD_JSON", `At most ${MAX_NOTARY_SERVERS} servers per query`);
      }
      const criteria = new Map<string, Map<string, number | undefined>>();
      for (const [serverName, keys] of servers) {
        if (!isJsonObject(keys))
          throw new MatrixError("M_BAD_JSON", `server_keys.${serverName} must be an object`);
        const byKey = new Map<string, number | undefined>();
        for (const [keyId, c] of Object.entries(keys)) {
          const ts = isJsonObject(c) ? c.minimum_valid_until_ts : undefined;
          byKey.set(keyId, typeof ts === "number" && Number.isSafeInteger(ts) ? ts : undefined);
        }
        criteria.set(serverName, byKey);
      }
      return ok({ server_keys: await deps.keys.notaryQuery(criteria) });
    },
  };
}

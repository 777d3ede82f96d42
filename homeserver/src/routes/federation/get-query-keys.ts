// GET /_matrix/key/v2/query/{serverName} (Server-Server API, "Querying Keys Through Another Server"),
// and the deprecated GET /_matrix/key/v2/query/{serverName}/{keyId} older servers still call.
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/** One server's keys, as cached or fetched, signed by us as notary. */
export function getQueryKeysRoute(deps: Pick<FederationServingDeps, "keys">): FederationRoute {
  return {
    method: "GET",
    paths: ["/_matrix/key/v2/query/:serverName", "/_matrix/key/v2/query/:serverName/:keyId"],
    auth: "none",
    async handler(req) {
      const raw = req.query("minimum_valid_until_ts");
      let minimum: number | undefined;
      if (raw !== undefined) {
        minimum = Number(raw);
        if (!/^\d+$/.test(raw) || !Number.isSafeInteger(minimum)) {
          throw new MatrixError("M_INVALID_PARAM", "minimum_valid_until_ts must be an integer");
        }
      }
      // All of the server's keys (or the one `keyId` names), valid until at least `minimum`.
      const keyId = req.c.req.param("keyId");
      const wanted = new Map<string, number | undefined>(keyId ? [[keyId, minimum]] : []);
      const criteria = new Map([[req.param("serverName"), wanted]]);
      return ok({ server_keys: await deps.keys.notaryQuery(criteria, minimum) });
    },
  };
}

// GET /_matrix/federation/v1/event/{eventId} (Server-Server API, "Retrieving events")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/**
 * One event, as a transaction of a single PDU. The requesting server must be allowed by the room's
 * ACL and be in the room (now or at the event); an event it may not see under the room's history
 * visibility is served redacted, as Synapse does (the DAG stays whole, the content does not leak).
 */
export function getEventRoute(
  deps: Pick<FederationServingDeps, "serverName" | "access" | "events" | "rooms" | "now">,
): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/event/:eventId")],
    auth: "x-matrix",
    async handler(req) {
      const eventId = req.param("eventId");
      const ev = await deps.events.get(eventId);
      if (ev === undefined || ev.rejected !== undefined) {
        throw new MatrixError("M_NOT_FOUND", `Could not find event ${eventId}`);
      }
      const origin = req.origin;
      if (!(await deps.access.serverAllowed(origin, ev.roomId))) {
        throw new MatrixError("M_FORBIDDEN", "Server is banned from this room by its server ACL");
      }
      const info = await deps.access.assertServerInRoom(origin, ev.roomId, ev);
      const pdus = await deps.access.pdusFor(origin, [ev], info.roomVersion);
      return ok({ origin: deps.serverName, origin_server_ts: deps.now(), pdus });
    },
  };
}

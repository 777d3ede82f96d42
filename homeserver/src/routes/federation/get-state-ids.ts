// GET /_matrix/federation/v1/state_ids/{roomId}?event_id= (Server-Server API, "Retrieving events")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/** The IDs of the state before an event and of that state's auth chain (see `get-state.ts`). */
export function getStateIdsRoute(deps: Pick<FederationServingDeps, "access">): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/state_ids/:roomId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      const roomId = req.param("roomId");
      const eventId = req.query("event_id");
      if (eventId === undefined) throw new MatrixError("M_MISSING_PARAM", "event_id is required");
      const ev = await deps.access.eventInRoom(roomId, eventId);
      await deps.access.assertServerInRoom(req.origin, roomId, ev);
      const stateIds = await deps.access.stateBefore(ev);
      const chain = await deps.access.authChain(stateIds);
      return ok({ pdu_ids: stateIds, auth_chain_ids: chain.map((e) => e.eventId) });
    },
  };
}

// GET /_matrix/federation/v1/state/{roomId}?event_id= (Server-Server API, "Retrieving events")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/**
 * The state of the room at an event — "prior to considering any state changes induced by the
 * requested event", i.e. the state *before* it — with the auth chain of that state.
 */
export function getStateRoute(deps: Pick<FederationServingDeps, "access" | "events">): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/state/:roomId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      const roomId = req.param("roomId");
      const eventId = req.query("event_id");
      if (eventId === undefined) throw new MatrixError("M_MISSING_PARAM", "event_id is required");
      const ev = await deps.access.eventInRoom(roomId, eventId);
      const info = await deps.access.assertServerInRoom(req.origin, roomId, ev);
      const stateIds = await deps.access.stateBefore(ev);
      const [state, chain] = await Promise.all([
        deps.events.getMany(stateIds),
        deps.access.authChain(stateIds),
      ]);
      return ok({
        pdus: state.filter((e) => e !== undefined).map((e) => deps.access.pduFor(e, info.roomVersion)),
        auth_chain: chain.map((e) => deps.access.pduFor(e, info.roomVersion)),
      });
    },
  };
}

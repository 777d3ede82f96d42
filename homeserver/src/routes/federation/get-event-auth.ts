// GET /_matrix/federation/v1/event_auth/{roomId}/{eventId} (Server-Server API, "Retrieving event authorisation information")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

/** The full auth chain of an event (without the event itself). */
export function getEventAuthRoute(deps: Pick<FederationServingDeps, "access">): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/event_auth/:roomId/:eventId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      const roomId = req.param("roomId");
      const ev = await deps.access.eventInRoom(roomId, req.param("eventId"));
      const info = await deps.access.assertServerInRoom(req.origin, roomId, ev);
      const chain = await deps.access.authChain([ev.eventId]);
      return ok({ auth_chain: chain.map((e) => deps.access.pduFor(e, info.roomVersion)) });
    },
  };
}

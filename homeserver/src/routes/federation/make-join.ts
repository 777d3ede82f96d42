// GET /_matrix/federation/v1/make_join/{roomId}/{userId} ("Joining Rooms")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `GET /make_join/{roomId}/{userId}?ver=...`: a join event template. */
export function makeJoin(membership: FederatedMembership): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/make_join/:roomId/:userId")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(await membership.makeJoin(req.origin, req.param("roomId"), req.param("userId"), req.queries("ver"))),
  };
}

// GET /_matrix/federation/v1/make_knock/{roomId}/{userId} ("Knocking upon a room")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `GET /make_knock/{roomId}/{userId}?ver=...`: a knock event template. */
export function makeKnock(membership: FederatedMembership): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/make_knock/:roomId/:userId")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(
        await membership.makeKnock(req.origin, req.param("roomId"), req.param("userId"), req.queries("ver")),
      ),
  };
}

// GET /_matrix/federation/v1/make_leave/{roomId}/{userId} ("Leaving Rooms (Rejecting Invites)")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `GET /make_leave/{roomId}/{userId}`: a leave event template. */
export function makeLeave(membership: FederatedMembership): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/make_leave/:roomId/:userId")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(await membership.makeLeave(req.origin, req.param("roomId"), req.param("userId"))),
  };
}

// PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} ("Joining Rooms")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `PUT /v2/send_join/{roomId}/{eventId}`: accepts the join; answers the state and auth chain. */
export function sendJoin(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send_join/:roomId/:eventId", "v2")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(await membership.sendJoin(req.origin, req.param("roomId"), req.param("eventId"), await req.json())),
  };
}

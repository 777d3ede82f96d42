// PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} ("Leaving Rooms (Rejecting Invites)")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `PUT /v2/send_leave/{roomId}/{eventId}`. */
export function sendLeave(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send_leave/:roomId/:eventId", "v2")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(await membership.sendLeave(req.origin, req.param("roomId"), req.param("eventId"), await req.json())),
  };
}

// PUT /_matrix/federation/v2/invite/{roomId}/{eventId} ("Inviting to a room")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `PUT /v2/invite/{roomId}/{eventId}`: an invite for one of our users; answers it co-signed. */
export function receiveInvite(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/invite/:roomId/:eventId", "v2")],
    auth: "x-matrix",
    handler: async (req) =>
      ok(
        await membership.receiveInvite(
          req.origin,
          req.param("roomId"),
          req.param("eventId"),
          await req.json(),
        ),
      ),
  };
}

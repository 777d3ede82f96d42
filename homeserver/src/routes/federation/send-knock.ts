// PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId} ("Knocking upon a room")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";

/** `PUT /send_knock/{roomId}/{eventId}`: accepts the knock; answers the room's stripped state. */
export function sendKnock(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send_knock/:roomId/:eventId")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) =>
      ok(await membership.sendKnock(req.origin, req.param("roomId"), req.param("eventId"), await req.json())),
  };
}

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

/** `PUT /v1/send_leave/{roomId}/{eventId}` (deprecated, for older servers): answers `[200, {}]`. */
export function sendLeaveV1(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send_leave/:roomId/:eventId", "v1")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) => {
      await membership.sendLeave(req.origin, req.param("roomId"), req.param("eventId"), await req.json());
      return ok([200, {}]);
    },
  };
}

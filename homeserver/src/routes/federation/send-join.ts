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

/**
 * `PUT /v1/send_join/{roomId}/{eventId}` (deprecated, for older servers): the same, answered in the
 * legacy `[200, {origin, auth_chain, state}]` array form.
 */
export function sendJoinV1(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send_join/:roomId/:eventId", "v1")],
    auth: "x-matrix",
    roomParam: "roomId",
    handler: async (req) => {
      const answer = await membership.sendJoin(
        req.origin,
        req.param("roomId"),
        req.param("eventId"),
        await req.json(),
      );
      // v1 predates partial-state joins: only the fields v1 defines.
      const { origin, auth_chain, state } = answer as {
        origin: unknown;
        auth_chain: unknown;
        state: unknown;
      };
      return ok([200, { origin, auth_chain, state }]);
    },
  };
}

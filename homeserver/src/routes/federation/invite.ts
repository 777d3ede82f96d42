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

/**
 * `PUT /v1/invite/{roomId}/{eventId}` (deprecated, room versions 1 and 2): the body is the invite
 * event itself, its stripped room state in `unsigned.invite_room_state`; the answer is the legacy
 * `[200, {event}]` array. The receiver "must assume that the room version is either 1 or 2": the
 * create event of the stripped state says which when it is there, else 1 (the two share event format
 * and authorization rules; they differ in state resolution, which the join settles).
 */
export function receiveInviteV1(membership: FederatedMembership): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/invite/:roomId/:eventId", "v1")],
    auth: "x-matrix",
    handler: async (req) => {
      const event = await req.json();
      const unsigned = (event.unsigned ?? {}) as { invite_room_state?: unknown };
      const stripped = Array.isArray(unsigned.invite_room_state) ? unsigned.invite_room_state : [];
      const create = stripped.find(
        (e: unknown) => (e as { type?: unknown } | null)?.type === "m.room.create",
      ) as { content?: { room_version?: unknown } } | undefined;
      const roomVersion = create?.content?.room_version === "2" ? "2" : "1";
      const answer = await membership.receiveInvite(req.origin, req.param("roomId"), req.param("eventId"), {
        event,
        room_version: roomVersion,
        invite_room_state: stripped,
      });
      return ok([200, answer]);
    },
  };
}

// GET /_matrix/client/v3/rooms/{roomId}/members ("Getting events for a room")
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";
import { tokenParam } from "./parse.js";

const MEMBERSHIPS = new Set(["join", "invite", "knock", "leave", "ban"]);

function membershipParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!MEMBERSHIPS.has(value))
    throw new MatrixError("M_INVALID_PARAM", `'${name}' must be join, invite, knock, leave or ban`);
  return value;
}

/** `GET /rooms/{roomId}/members`: `at` (a pagination or sync token), `membership`, `not_membership`. */
export function getMembers(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getMembers),
    guest: true,
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const at = tokenParam(q("at"));
      const membership = membershipParam(q("membership"), "membership");
      const notMembership = membershipParam(q("not_membership"), "not_membership");
      const chunk = await reads.members(req.user(), roomIdParam(req.param("roomId")), {
        ...(at !== undefined ? { at } : {}),
        ...(membership !== undefined ? { membership } : {}),
        ...(notMembership !== undefined ? { notMembership } : {}),
      });
      return ok({ chunk });
    },
  };
}

// GET /_matrix/client/v3/rooms/{roomId}/joined_members ("Getting events for a room")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/joined_members`: `{joined: {userId: {display_name, avatar_url}}}`, members only. */
export function getJoinedMembers(reads: RoomReadService): Route {
  return {
    ...fromEndpoint(clientApi.getJoinedMembers),
    async handler(req) {
      return ok({ joined: await reads.joinedMembers(req.user(), roomIdParam(req.param("roomId"))) });
    },
  };
}

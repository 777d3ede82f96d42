// GET /_matrix/client/v3/rooms/{roomId}/joined_members ("Getting events for a room")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";

/** `GET /rooms/{roomId}/joined_members`: `{joined: {userId: {display_name, avatar_url}}}`, members only. */
export function getJoinedMembers(reads: RoomReadService): Route {
  return {
    method: "GET",
    paths: clientPaths("/rooms/:roomId/joined_members"),
    auth: "required",
    async handler(req) {
      return ok({ joined: await reads.joinedMembers(req.user(), roomIdParam(req.param("roomId"))) });
    },
  };
}

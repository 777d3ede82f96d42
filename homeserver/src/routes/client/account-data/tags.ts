// GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags, PUT and DELETE …/tags/{tag} ("Room Tagging").
// Tags live in the `m.tag` room account data, so `/sync` carries them too.
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountDataService } from "../../../services/account-data/account-data-service.js";
import { ownUserParam } from "../filters/parse.js";
import { roomIdParam } from "../rooms/parse.js";

/** The room tag routes. */
export function tagRoutes(accountData: AccountDataService): Route[] {
  return [
    {
      method: "GET",
      paths: clientPaths("/user/:userId/rooms/:roomId/tags"),
      auth: "required",
      guest: true,
      async handler(req) {
        const userId = ownUserParam(req.param("userId"), req.user(), "read tags");
        const roomId = roomIdParam(req.param("roomId"));
        return ok({ tags: await accountData.roomTags(userId, roomId) });
      },
    },
    {
      method: "PUT",
      paths: clientPaths("/user/:userId/rooms/:roomId/tags/:tag"),
      auth: "required",
      guest: true,
      async handler(req) {
        const userId = ownUserParam(req.param("userId"), req.user(), "add tags");
        const roomId = roomIdParam(req.param("roomId"));
        const tag = req.param("tag");
        if (tag.length > 255) throw new MatrixError("M_INVALID_PARAM", "Tags are at most 255 characters");
        const body = await req.json();
        if (
          body.order !== undefined &&
          (typeof body.order !== "number" || body.order < 0 || body.order > 1)
        ) {
          throw new MatrixError("M_INVALID_PARAM", "order must be a number between 0 and 1");
        }
        await accountData.setRoomTag(userId, roomId, tag, body);
        return ok({});
      },
    },
    {
      method: "DELETE",
      paths: clientPaths("/user/:userId/rooms/:roomId/tags/:tag"),
      auth: "required",
      guest: true,
      async handler(req) {
        const userId = ownUserParam(req.param("userId"), req.user(), "remove tags");
        const roomId = roomIdParam(req.param("roomId"));
        await accountData.removeRoomTag(userId, roomId, req.param("tag"));
        return ok({});
      },
    },
  ];
}

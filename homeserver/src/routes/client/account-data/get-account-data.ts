// GET /_matrix/client/v3/user/{userId}/account_data/{type}
// GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} ("Client Config")
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountDataService } from "../../../services/account-data/account-data-service.js";
import { ownUserParam } from "../filters/parse.js";
import { eventTypeParam, roomIdParam } from "../rooms/parse.js";

function notFound(type: string): MatrixError {
  return new MatrixError("M_NOT_FOUND", `No account data of type ${type}.`);
}

/** `GET /user/{userId}/account_data/{type}`: the content; 404 `M_NOT_FOUND` when unset. */
export function getGlobalAccountData(accountData: AccountDataService): Route {
  return {
    method: "GET",
    paths: clientPaths("/user/:userId/account_data/:type"),
    auth: "required",
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "get account data");
      const type = eventTypeParam(req.param("type"));
      const content = await accountData.get(userId, undefined, type);
      if (!content) throw notFound(type);
      return ok(content);
    },
  };
}

/** `GET /user/{userId}/rooms/{roomId}/account_data/{type}`. */
export function getRoomAccountData(accountData: AccountDataService): Route {
  return {
    method: "GET",
    paths: clientPaths("/user/:userId/rooms/:roomId/account_data/:type"),
    auth: "required",
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "get account data");
      const roomId = roomIdParam(req.param("roomId"));
      const type = eventTypeParam(req.param("type"));
      const content = await accountData.get(userId, roomId, type);
      if (!content) throw notFound(type);
      return ok(content);
    },
  };
}

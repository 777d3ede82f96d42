// PUT /_matrix/client/v3/user/{userId}/account_data/{type}
// PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} ("Client Config")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { AccountDataService } from "../../../services/account-data/account-data-service.js";
import { ownUserParam } from "../filters/parse.js";
import { eventTypeParam, roomIdParam } from "../rooms/parse.js";

/** `PUT /user/{userId}/account_data/{type}`: sets global account data. */
export function putGlobalAccountData(accountData: AccountDataService): Route {
  return {
    ...fromEndpoint(clientApi.setAccountData),
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "add account data");
      const type = eventTypeParam(req.param("type"));
      await accountData.setByClient(userId, undefined, type, await req.json());
      return ok({});
    },
  };
}

/** `PUT /user/{userId}/rooms/{roomId}/account_data/{type}`: sets account data for a room. */
export function putRoomAccountData(accountData: AccountDataService): Route {
  return {
    ...fromEndpoint(clientApi.setRoomAccountData),
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "add account data");
      const roomId = roomIdParam(req.param("roomId"));
      const type = eventTypeParam(req.param("type"));
      await accountData.setByClient(userId, roomId, type, await req.json());
      return ok({});
    },
  };
}

// GET /_matrix/client/v3/account/whoami — Client-Server API, "Current account information".
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";

/** `GET /account/whoami`: the owner of the access token. */
export function whoamiRoute(): Route {
  return {
    ...fromEndpoint(clientApi.whoami),
    guest: true,
    handler(req) {
      const user = req.user();
      return ok({ user_id: user.userId, device_id: user.deviceId, is_guest: user.isGuest });
    },
  };
}

// GET /_matrix/client/v3/account/whoami — Client-Server API, "Current account information".
import { clientPaths, ok, type Route } from "../../../http/route.js";

/** `GET /account/whoami`: the owner of the access token. */
export function whoamiRoute(): Route {
  return {
    method: "GET",
    paths: clientPaths("/account/whoami"),
    auth: "required",
    handler(req) {
      const user = req.user();
      return ok({ user_id: user.userId, device_id: user.deviceId, is_guest: user.isGuest });
    },
  };
}

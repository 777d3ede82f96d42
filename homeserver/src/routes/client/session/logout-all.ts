// POST /_matrix/client/v3/logout/all — Client-Server API, "Login" → logout.
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `POST /logout/all`: revokes every access token of the user and deletes every device. */
export function logoutAllRoute(deps: AccountRouteDeps): Route {
  return {
    method: "POST",
    paths: clientPaths("/logout/all"),
    auth: "required",
    guest: true,
    async handler(req) {
      await deps.accounts.logoutAll(req.user().userId);
      return ok({});
    },
  };
}

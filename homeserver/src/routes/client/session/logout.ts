// POST /_matrix/client/v3/logout — Client-Server API, "Login" → logout.
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `POST /logout`: revokes the access token used and deletes its device. */
export function logoutRoute(deps: AccountRouteDeps): Route {
  return {
    method: "POST",
    paths: clientPaths("/logout"),
    auth: "required",
    async handler(req) {
      await deps.accounts.logout(req.user());
      return ok({});
    },
  };
}

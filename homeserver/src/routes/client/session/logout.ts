// POST /_matrix/client/v3/logout — Client-Server API, "Login" → logout.
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `POST /logout`: revokes the access token used and deletes its device. */
export function logoutRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.logout),
    guest: true,
    async handler(req) {
      await deps.accounts.logout(req.user());
      return ok({});
    },
  };
}

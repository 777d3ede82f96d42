// GET /_matrix/client/v3/register/available — Client-Server API, "Account registration".
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `GET /register/available`: whether a username is valid and free. */
export function getUsernameAvailableRoute(deps: AccountRouteDeps): Route {
  return {
    method: "GET",
    paths: clientPaths("/register/available"),
    auth: "none",
    async handler(req) {
      if (deps.registration === "closed") throw new MatrixError("M_FORBIDDEN", "Registration is disabled");
      const username = req.c.req.query("username");
      if (username === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'username'");
      await deps.accounts.checkUsername(username);
      return ok({ available: true });
    },
  };
}

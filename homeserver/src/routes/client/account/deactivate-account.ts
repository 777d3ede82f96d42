// POST /_matrix/client/v3/account/deactivate — Client-Server API, "Account deactivation" (legacy API).
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalBoolean, optionalObject, optionalString } from "../../../http/validate.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/**
 * `POST /account/deactivate`: after `m.login.password` UIA, deactivates the account: it leaves every
 * room, loses every device and token, and can never log in again.
 */
export function deactivateAccountRoute(deps: AccountRouteDeps): Route {
  return {
    method: "POST",
    paths: clientPaths("/account/deactivate"),
    auth: "optional",
    rateLimit: "login",
    async handler(req) {
      const body = await req.json();
      const auth = optionalObject(body, "auth");
      optionalString(body, "id_server", 255);
      // Erasure has nothing more to erase than deactivation does yet: no 3PIDs, no account data.
      optionalBoolean(body, "erase");
      const requester = req.requester;
      const done = await deps.uia.authenticate(auth, {
        op: "account.deactivate",
        userId: requester?.userId,
        flows: [["m.login.password"]],
      });
      const userId = requester?.userId ?? done.userId;
      if (userId === null) throw new MatrixError("M_FORBIDDEN", "No user was authenticated");
      await deps.accounts.deactivate(userId);
      // No 3PIDs are ever bound, so there is nothing to unbind.
      return ok({ id_server_unbind_result: "success" });
    },
  };
}

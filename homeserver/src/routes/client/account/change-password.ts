// POST /_matrix/client/v3/account/password — Client-Server API, "Password management" (legacy API).
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalBoolean, optionalObject, requiredString } from "../../../http/validate.js";
import { MAX_PASSWORD_LENGTH } from "../../../services/accounts/passwords.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/**
 * `POST /account/password`: changes the password after `m.login.password` UIA. With an access token
 * the requester's own device stays logged in; `logout_devices` (default true) logs out the others.
 */
export function changePasswordRoute(deps: AccountRouteDeps): Route {
  return {
    method: "POST",
    paths: clientPaths("/account/password"),
    auth: "optional",
    rateLimit: "login",
    async handler(req) {
      const body = await req.json();
      const newPassword = requiredString(body, "new_password", MAX_PASSWORD_LENGTH);
      if (newPassword === "") throw new MatrixError("M_WEAK_PASSWORD", "The password must not be empty");
      const logoutDevices = optionalBoolean(body, "logout_devices") ?? true;
      const auth = optionalObject(body, "auth");
      const requester = req.requester;
      const done = await deps.uia.authenticate(auth, {
        op: "account.password",
        userId: requester?.userId,
        flows: [["m.login.password"]],
      });
      const userId = requester?.userId ?? done.userId;
      if (userId === null) throw new MatrixError("M_FORBIDDEN", "No user was authenticated");
      await deps.accounts.changePassword(userId, newPassword, {
        logoutDevices,
        keepDeviceId: requester?.deviceId,
      });
      return ok({});
    },
  };
}

// POST /_matrix/client/v3/register — Client-Server API, "Account registration" (legacy API) and
// "User-Interactive Authentication API".
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, type Route } from "../../../http/route.js";
import { optionalBoolean, optionalObject, optionalString } from "../../../http/validate.js";
import { MAX_PASSWORD_LENGTH } from "../../../services/accounts/passwords.js";
import type { StageType } from "../../../services/accounts/uia.js";
import {
  type AccountRouteDeps,
  clientIp,
  MAX_DEVICE_FIELD_LENGTH,
  optionalDeviceId,
} from "../accounts-deps.js";

/** `POST /register`: registers a user account; guests are refused. */
export function registerRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.register),
    rateLimit: "registration",
    async handler(req) {
      const kind = req.c.req.query("kind") ?? "user";
      if (kind === "guest") throw new MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest access is not allowed");
      if (kind !== "user") throw new MatrixError("M_INVALID_PARAM", "'kind' must be 'user' or 'guest'");
      if (deps.registration === "closed") throw new MatrixError("M_FORBIDDEN", "Registration is disabled");

      const body = await req.json();
      // No length limit here: checkUsername answers M_INVALID_USERNAME for a username too long.
      const username = optionalString(body, "username", Number.POSITIVE_INFINITY);
      const password = optionalString(body, "password", MAX_PASSWORD_LENGTH);
      const deviceId = optionalDeviceId(body);
      const displayName = optionalString(body, "initial_device_display_name", MAX_DEVICE_FIELD_LENGTH);
      const inhibitLogin = optionalBoolean(body, "inhibit_login") ?? false;
      const refreshToken = optionalBoolean(body, "refresh_token") ?? false;
      const auth = optionalObject(body, "auth");
      if (password === "") throw new MatrixError("M_WEAK_PASSWORD", "The password must not be empty");

      // The spec: check the username before user-interactive authentication.
      const localpart = username !== undefined ? await deps.accounts.checkUsername(username) : undefined;
      const flows: StageType[][] =
        deps.registration === "token" ? [["m.login.registration_token"]] : [["m.login.dummy"]];
      const done = await deps.uia.authenticate(auth, { op: "register", userId: undefined, flows });

      const result = await deps.accounts.register({
        localpart,
        password,
        inhibitLogin,
        deviceId,
        initialDeviceDisplayName: displayName,
        refreshToken,
        registrationToken: done.registrationToken,
        ip: clientIp(req.c),
      });
      const login = result.login;
      return {
        body: {
          user_id: result.userId,
          home_server: deps.serverName,
          ...(login
            ? {
                access_token: login.accessToken,
                device_id: login.deviceId,
                ...(login.refreshToken !== undefined
                  ? { refresh_token: login.refreshToken, expires_in_ms: login.expiresInMs }
                  : {}),
              }
            : {}),
        },
      };
    },
  };
}

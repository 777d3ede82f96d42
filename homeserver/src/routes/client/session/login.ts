// POST /_matrix/client/v3/login — Client-Server API, "Login" (legacy API), "Password-based" and
// "Identifier types".
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, type Route } from "../../../http/route.js";
import { optionalBoolean, optionalString, requiredString } from "../../../http/validate.js";
import { MAX_PASSWORD_LENGTH } from "../../../services/accounts/passwords.js";
import {
  type AccountRouteDeps,
  clientIp,
  MAX_DEVICE_FIELD_LENGTH,
  optionalDeviceId,
} from "../accounts-deps.js";

/** `POST /login`: logs in with `m.login.password`. */
export function loginRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.login),
    rateLimit: "login",
    async handler(req) {
      const body = await req.json();
      const type = requiredString(body, "type", 255);
      if (type !== "m.login.password") throw new MatrixError("M_UNKNOWN", "Unknown login type", {}, 400);
      const password = requiredString(body, "password", MAX_PASSWORD_LENGTH);
      const deviceId = optionalDeviceId(body);
      const displayName = optionalString(body, "initial_device_display_name", MAX_DEVICE_FIELD_LENGTH);
      const refreshToken = optionalBoolean(body, "refresh_token") ?? false;
      if (body.identifier == null && body.user == null && body.medium == null) {
        throw new MatrixError("M_MISSING_PARAM", "Missing 'identifier'");
      }
      const userId = deps.accounts.resolveUser(body);
      const login = await deps.accounts.loginWithPassword(userId, password, {
        deviceId,
        initialDeviceDisplayName: displayName,
        refreshToken,
        ip: clientIp(req.c),
      });
      return {
        body: {
          user_id: login.userId,
          access_token: login.accessToken,
          device_id: login.deviceId,
          home_server: deps.serverName,
          ...(login.refreshToken !== undefined
            ? { refresh_token: login.refreshToken, expires_in_ms: login.expiresInMs }
            : {}),
        },
      };
    },
  };
}

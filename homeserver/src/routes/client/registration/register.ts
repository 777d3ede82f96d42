// POST /_matrix/client/v3/register — Client-Server API, "Account registration" (legacy API),
// "User-Interactive Authentication API" and "Guest Access" (`kind=guest`, `guest_access_token`).
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, type RequestContext, type Route, type RouteResponse } from "../../../http/route.js";
import { optionalBoolean, optionalObject, optionalString } from "../../../http/validate.js";
import { MAX_PASSWORD_LENGTH } from "../../../services/accounts/passwords.js";
import type { StageType } from "../../../services/accounts/uia.js";
import {
  type AccountRouteDeps,
  clientIp,
  MAX_DEVICE_FIELD_LENGTH,
  optionalDeviceId,
} from "../accounts-deps.js";

/** The longest `guest_access_token` looked at (ours are 48 characters). */
const MAX_TOKEN_LENGTH = 1024;

/**
 * `POST /register`: registers a user account; with `kind=guest`, a guest account (when
 * `allow_guest_access`); with `guest_access_token`, turns that guest into a full account.
 */
export function registerRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.register),
    rateLimit: "registration",
    async handler(req) {
      const kind = req.c.req.query("kind") ?? "user";
      if (kind === "guest") return registerGuest(deps, req);
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
      const guestAccessToken = optionalString(body, "guest_access_token", MAX_TOKEN_LENGTH);
      if (password === "") throw new MatrixError("M_WEAK_PASSWORD", "The password must not be empty");

      // The spec: check the username before user-interactive authentication. A guest upgrading names
      // its own (taken) user ID and proves it holds it with its access token.
      let localpart: string | undefined;
      if (guestAccessToken !== undefined) {
        if (username === undefined) {
          throw new MatrixError(
            "M_MISSING_PARAM",
            "Upgrading a guest account needs its localpart as 'username'",
          );
        }
        localpart = await deps.accounts.checkGuestUpgrade(username, guestAccessToken);
      } else if (username !== undefined) localpart = await deps.accounts.checkUsername(username);
      const flows: StageType[][] =
        deps.registration === "token" ? [["m.login.registration_token"]] : [["m.login.dummy"]];
      const done = await deps.uia.authenticate(auth, { op: "register", userId: undefined, flows });

      const options = {
        password,
        inhibitLogin,
        deviceId,
        initialDeviceDisplayName: displayName,
        refreshToken,
        registrationToken: done.registrationToken,
        ip: clientIp(req.c),
      };
      const result =
        guestAccessToken !== undefined
          ? await deps.accounts.upgradeGuest({ ...options, localpart: localpart!, guestAccessToken })
          : await deps.accounts.register({ ...options, localpart });
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

/**
 * `POST /register?kind=guest`: no user-interactive authentication; every body parameter but
 * `initial_device_display_name` is ignored, and the server picks the user ID and device ID.
 */
async function registerGuest(deps: AccountRouteDeps, req: RequestContext): Promise<RouteResponse> {
  if (!deps.allowGuestAccess) {
    throw new MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled on this server");
  }
  const name = (await req.json()).initial_device_display_name;
  const ip = clientIp(req.c);
  const login = await deps.accounts.registerGuest({
    ...(typeof name === "string" && name.length <= MAX_DEVICE_FIELD_LENGTH
      ? { initialDeviceDisplayName: name }
      : {}),
    ...(ip !== undefined ? { ip } : {}),
  });
  return {
    body: {
      user_id: login.userId,
      access_token: login.accessToken,
      device_id: login.deviceId,
      home_server: deps.serverName,
    },
  };
}

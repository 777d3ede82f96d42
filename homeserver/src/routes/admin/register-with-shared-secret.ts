// POST /_synapse/admin/v1/register — Synapse admin API, "Shared-Secret Registration" (not Matrix spec).

import { ok, type Route } from "../../http/route.js";
import { optionalBoolean, optionalString, requiredString } from "../../http/validate.js";
import type { AccountService } from "../../services/accounts/account-service.js";
import { MAX_PASSWORD_LENGTH } from "../../services/accounts/passwords.js";
import type { SharedSecretRegistration } from "../../services/accounts/shared-secret.js";

/**
 * `POST /_synapse/admin/v1/register`: registers a user (optionally an admin) when the request carries
 * an HMAC of a fresh nonce made with the configured `registration_shared_secret`. Works whatever the
 * registration mode.
 */
export function registerWithSharedSecretRoute(deps: {
  readonly accounts: AccountService;
  readonly sharedSecret: SharedSecretRegistration;
}): Route {
  return {
    method: "POST",
    paths: ["/_synapse/admin/v1/register"],
    auth: "none",
    async handler(req) {
      const body = await req.json();
      const nonce = requiredString(body, "nonce", 128);
      const username = requiredString(body, "username", 255);
      const password = requiredString(body, "password", MAX_PASSWORD_LENGTH);
      const mac = requiredString(body, "mac", 128);
      const admin = optionalBoolean(body, "admin") ?? false;
      const userType = optionalString(body, "user_type", 64);
      const displayname = optionalString(body, "displayname", 256);
      const inhibitLogin = optionalBoolean(body, "inhibit_login") ?? false;
      deps.sharedSecret.verify({ nonce, username, password, admin, userType, mac });
      const localpart = await deps.accounts.checkUsername(username);
      const result = await deps.accounts.register({ localpart, password, admin, displayname, inhibitLogin });
      return ok({
        user_id: result.userId,
        home_server: deps.accounts.serverName,
        ...(result.login ? { access_token: result.login.accessToken, device_id: result.login.deviceId } : {}),
      });
    },
  };
}

// POST /_matrix/client/v3/refresh — Client-Server API, "Refreshing access tokens" (added in v1.3).

import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { requiredString } from "../../../http/validate.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `POST /refresh`: exchanges a refresh token for new tokens. */
export function refreshRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.refresh),
    async handler(req) {
      const body = await req.json();
      const token = requiredString(body, "refresh_token", 1024);
      const tokens = await deps.accounts.refresh(token);
      return ok({
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires_in_ms: tokens.expiresInMs,
      });
    },
  };
}

// GET /_matrix/client/v1/register/m.login.registration_token/validity — Client-Server API,
// "Token-authenticated registration".
import { MatrixError } from "@hearth/federation";
import { ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `GET /register/m.login.registration_token/validity`: whether a registration token can be used now. */
export function getRegistrationTokenValidityRoute(deps: AccountRouteDeps): Route {
  return {
    method: "GET",
    paths: ["/_matrix/client/v1/register/m.login.registration_token/validity"],
    auth: "none",
    // The spec asks servers to rate limit this endpoint against guessing.
    rateLimit: "registration",
    async handler(req) {
      if (deps.registration === "closed")
        throw new MatrixError("M_FORBIDDEN", "Registration is not enabled on this homeserver.");
      const token = req.c.req.query("token");
      if (token === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'token'");
      const valid =
        token.length > 0 && token.length <= 64 && (await deps.accounts.isRegistrationTokenValid(token));
      return ok({ valid });
    },
  };
}

// POST /_matrix/client/v3/user/{userId}/openid/request_token ("OpenID") and
// GET /_matrix/federation/v1/openid/userinfo (Server-Server API, "OpenID").
import type { FederationRoute } from "../../../federation/route.js";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { OpenIdService } from "../../../services/openid/openid-service.js";
import { ownUserParam } from "../filters/parse.js";

/** The client route. */
export function openIdTokenRoute(openId: OpenIdService): Route {
  return {
    method: "POST",
    paths: clientPaths("/user/:userId/openid/request_token"),
    auth: "required",
    handler: (req) =>
      ok(openId.issue(ownUserParam(req.param("userId"), req.user(), "request an OpenID token"))),
  };
}

/** The federation route: no X-Matrix, the token is the credential. */
export function openIdUserInfoRoute(openId: OpenIdService): FederationRoute {
  return {
    method: "GET",
    paths: ["/_matrix/federation/v1/openid/userinfo"],
    auth: "none",
    handler: (req) => ok(openId.userInfo(req.query("access_token"))),
  };
}

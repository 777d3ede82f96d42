// GET /_matrix/client/v3/login — Client-Server API, "Login" (legacy API).
import { clientPaths, ok, type Route } from "../../../http/route.js";

/** `GET /login`: the login types this server supports. */
export function getLoginFlowsRoute(): Route {
  return {
    method: "GET",
    paths: clientPaths("/login"),
    auth: "none",
    handler: () => ok({ flows: [{ type: "m.login.password" }] }),
  };
}

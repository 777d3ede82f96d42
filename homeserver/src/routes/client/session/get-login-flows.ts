// GET /_matrix/client/v3/login — Client-Server API, "Login" (legacy API).
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";

/** `GET /login`: the login types this server supports. */
export function getLoginFlowsRoute(): Route {
  return {
    ...fromEndpoint(clientApi.getLoginFlows),
    handler: () => ok({ flows: [{ type: "m.login.password" }] }),
  };
}

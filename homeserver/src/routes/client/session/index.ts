/** Session routes: login, refresh, logout, whoami (Client-Server API, "Client Authentication"). */
import type { Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { getLoginFlowsRoute } from "./get-login-flows.js";
import { loginRoute } from "./login.js";
import { logoutRoute } from "./logout.js";
import { logoutAllRoute } from "./logout-all.js";
import { refreshRoute } from "./refresh.js";
import { whoamiRoute } from "./whoami.js";

/** The session routes. */
export function sessionRoutes(deps: AccountRouteDeps): Route[] {
  return [
    getLoginFlowsRoute(),
    loginRoute(deps),
    refreshRoute(deps),
    logoutRoute(deps),
    logoutAllRoute(deps),
    whoamiRoute(),
  ];
}

/** Account management routes (Client-Server API, "Account management"). */
import type { Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { changePasswordRoute } from "./change-password.js";
import { deactivateAccountRoute } from "./deactivate-account.js";

/** The account management routes. */
export function accountRoutes(deps: AccountRouteDeps): Route[] {
  return [changePasswordRoute(deps), deactivateAccountRoute(deps)];
}

/** Registration routes (Client-Server API, "Account registration"). */
import type { Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { getRegistrationTokenValidityRoute } from "./get-registration-token-validity.js";
import { getUsernameAvailableRoute } from "./get-username-available.js";
import { registerRoute } from "./register.js";

/** The registration routes. */
export function registrationRoutes(deps: AccountRouteDeps): Route[] {
  return [registerRoute(deps), getUsernameAvailableRoute(deps), getRegistrationTokenValidityRoute(deps)];
}

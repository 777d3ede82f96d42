/** Profile routes (Client-Server API, "Profiles"). */
import type { Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { deleteProfileFieldRoute } from "./delete-profile-field.js";
import { getProfileRoute } from "./get-profile.js";
import { getProfileFieldRoute } from "./get-profile-field.js";
import { setProfileFieldRoute } from "./set-profile-field.js";

/** The profile routes. */
export function profileRoutes(deps: AccountRouteDeps): Route[] {
  return [
    getProfileRoute(deps),
    getProfileFieldRoute(deps),
    setProfileFieldRoute(deps),
    deleteProfileFieldRoute(deps),
  ];
}

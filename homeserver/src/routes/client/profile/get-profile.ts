// GET /_matrix/client/v3/profile/{userId} — Client-Server API, "Profiles".
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { lookupProfile, parseProfileUser } from "./profile-fields.js";

/** `GET /profile/{userId}`: a local user's whole profile. */
export function getProfileRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.getProfile),
    guest: true,
    async handler(req) {
      const userId = parseProfileUser(deps, req.param("userId"));
      const profile = await lookupProfile(deps, userId);
      if (!profile) throw new MatrixError("M_NOT_FOUND", "Profile not found");
      return ok(profile);
    },
  };
}

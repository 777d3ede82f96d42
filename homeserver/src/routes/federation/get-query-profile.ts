// GET /_matrix/federation/v1/query/profile?user_id=&field= (Server-Server API, "Querying for information")
import { isValidUserId, MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

/**
 * The public profile of one of our users, or only `field` of it (absent from the response when not
 * set). 404 `M_NOT_FOUND` for unknown users, 400 `M_INVALID_PARAM` for users of other servers.
 */
export function getQueryProfileRoute(
  deps: Pick<FederationServingDeps, "serverName" | "profiles">,
): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/query/profile")],
    auth: "x-matrix",
    async handler(req) {
      const userId = req.query("user_id");
      if (userId === undefined) throw new MatrixError("M_MISSING_PARAM", "user_id is required");
      if (!isValidUserId(userId)) throw new MatrixError("M_INVALID_PARAM", "Invalid user ID");
      if (domainOf(userId) !== deps.serverName) {
        throw new MatrixError("M_INVALID_PARAM", "The user is not hosted on this server");
      }
      const profile = await deps.profiles.getProfile(userId);
      if (profile === undefined) throw new MatrixError("M_NOT_FOUND", "Profile was not found");
      const field = req.query("field");
      if (field === undefined) return ok(profile);
      const value = (profile as Record<string, unknown>)[field];
      return ok(value === undefined ? {} : { [field]: value });
    },
  };
}

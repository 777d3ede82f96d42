// GET /_matrix/client/v3/user/{userId}/filter/{filterId} ("Filtering")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import { ownUserParam } from "./parse.js";

/** `GET /user/{userId}/filter/{filterId}`: the filter as uploaded; 404 `M_NOT_FOUND` when unknown. */
export function getFilter(filters: FilterService): Route {
  return {
    method: "GET",
    paths: clientPaths("/user/:userId/filter/:filterId"),
    auth: "required",
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "read filters");
      return ok(await filters.get(userId, req.param("filterId")));
    },
  };
}

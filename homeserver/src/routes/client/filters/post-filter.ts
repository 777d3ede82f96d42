// POST /_matrix/client/v3/user/{userId}/filter ("Filtering")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import { ownUserParam } from "./parse.js";

/** `POST /user/{userId}/filter`: uploads a filter, returns its `filter_id`. */
export function postFilter(filters: FilterService): Route {
  return {
    ...fromEndpoint(clientApi.createFilter),
    guest: true,
    async handler(req) {
      const userId = ownUserParam(req.param("userId"), req.user(), "create filters");
      return ok({ filter_id: await filters.create(userId, await req.json()) });
    },
  };
}

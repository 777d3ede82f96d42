// POST /_matrix/client/v3/search ("Server Side Search")
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { SearchService } from "../../../services/sync/search.js";
import { tokenParam } from "./parse.js";

/** `POST /search?next_batch=`. */
export function postSearch(search: SearchService): Route {
  return {
    method: "POST",
    paths: clientPaths("/search"),
    auth: "required",
    rateLimit: "message",
    async handler(req) {
      return ok(await search.search(req.user(), await req.json(), tokenParam(req.c.req.query("next_batch"))));
    },
  };
}

// POST /_matrix/client/v3/user_directory/search ("User directory")
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { requiredString } from "../../../http/validate.js";
import type { UserDirectory } from "../../../services/rooms/user-directory.js";

/** `POST /user_directory/search`: `search_term`, `limit` (default 10, at most 50). */
export function userDirectorySearch(directory: UserDirectory): Route {
  return {
    method: "POST",
    paths: clientPaths("/user_directory/search"),
    auth: "required",
    async handler(req) {
      const body = await req.json();
      const term = requiredString(body, "search_term", 1024);
      const limit = body.limit ?? 10;
      if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
        throw new MatrixError("M_INVALID_PARAM", "limit must be a non-negative integer");
      }
      return ok(await directory.search(req.user().userId, term, Math.min(limit, 50)));
    },
  };
}

// GET, PUT, DELETE /_matrix/client/v3/pushrules/* that no push rule endpoint serves (Push
// Notifications module, "Push Rules: API"): the spec's 400 for a bad scope, kind, rule ID or attribute.
import { MatrixError } from "@hearth/federation";
import type { Method, Route } from "../../../http/route.js";
import { malformedPushRulePath } from "./parse.js";

const PREFIXES = ["/_matrix/client/v3/pushrules", "/_matrix/client/r0/pushrules"];

/** The path segments after `/pushrules`, each URI-decoded; an empty last one for a trailing slash. */
function segmentsAfterPrefix(url: string): string[] {
  const path = new URL(url).pathname;
  const prefix = PREFIXES.find((p) => path.startsWith(p))!;
  const rest = path.slice(prefix.length);
  if (rest === "") return [];
  return rest
    .slice(1)
    .split("/")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new MatrixError("M_INVALID_PARAM", "Malformed percent-encoding in the push rule path");
      }
    });
}

/**
 * Answers every push rule path the endpoints do not match, for `method`. Registered after them, so
 * it only sees what they leave: a missing trailing slash, an unknown scope, kind or attribute, an
 * empty rule ID.
 */
export function malformedPushRulePathRoute(method: Method): Route {
  return {
    method,
    paths: PREFIXES.flatMap((p) => [p, `${p}/*`]),
    auth: "required",
    handler(req) {
      throw malformedPushRulePath(segmentsAfterPrefix(req.c.req.url), method);
    },
  };
}

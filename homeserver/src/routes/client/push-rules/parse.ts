/**
 * Push rule paths (Push Notifications module, "Push Rules: API"): `/pushrules/global/{kind}/{ruleId}`
 * and its `/enabled` and `/actions` attributes. Parsed here, at the edge, so that a malformed path is
 * one precise 400 `M_INVALID_PARAM` and never the router's generic `M_UNRECOGNIZED`.
 */
import { MatrixError } from "@hearth/federation";
import { isPushRuleKind } from "../../../services/push/push-rules-service.js";
import type { PushRuleKind } from "../../../storage/push-rules.js";

/** The only push rule scope the spec defines. */
export const PUSH_RULE_SCOPE = "global";

/** The rule attributes that have their own endpoints. */
const ATTRIBUTES = ["enabled", "actions"] as const;

function unknownKind(kind: string): MatrixError {
  return new MatrixError(
    "M_INVALID_PARAM",
    `Unknown push rule kind '${kind}': one of override, content, room, sender, underride`,
  );
}

/** A `{kind}` path parameter; 400 `M_INVALID_PARAM` for anything but the spec's five kinds. */
export function pushRuleKindParam(kind: string): PushRuleKind {
  if (!isPushRuleKind(kind)) throw unknownKind(kind);
  return kind;
}

/**
 * The error for a push rule path no endpoint serves, from the segments after `/pushrules` (an empty
 * last one for a trailing slash) and the method. The path is read in order (scope, kind, rule ID,
 * attribute) and the first thing wrong is named, as 400 `M_INVALID_PARAM`: an unknown scope, kind or
 * attribute, a missing rule ID, or a missing trailing slash on the GET of a collection (GET
 * /pushrules, /pushrules/global, /pushrules/global/{kind}: Synapse and the conformance suites refuse
 * these with 400 too). A well-formed attribute path with a method it lacks is 405 `M_UNRECOGNIZED`,
 * as for any known endpoint ("API Standards").
 */
export function malformedPushRulePath(segments: readonly string[], method: string): MatrixError {
  const bad = (message: string) => new MatrixError("M_INVALID_PARAM", message);
  const get = method === "GET";
  const [scope, kind, ruleId, attribute, ...rest] = segments;
  if (scope === undefined || scope === "") {
    return get && scope === undefined
      ? bad("Missing trailing slash: GET /pushrules/")
      : bad("A push rule path is /pushrules/global/{kind}/{ruleId}: scope, kind and rule ID are missing");
  }
  if (scope !== PUSH_RULE_SCOPE) return bad(`Unknown push rule scope '${scope}': only 'global'`);
  if (kind === undefined || kind === "") {
    return get && kind === undefined
      ? bad("Missing trailing slash: GET /pushrules/global/")
      : bad("A push rule path is /pushrules/global/{kind}/{ruleId}: kind and rule ID are missing");
  }
  if (!isPushRuleKind(kind)) return unknownKind(kind);
  if (ruleId === undefined || ruleId === "") {
    return get && ruleId === undefined
      ? bad(`Missing trailing slash: GET /pushrules/global/${kind}/`)
      : bad("Missing push rule ID");
  }
  if (attribute === undefined || !(ATTRIBUTES as readonly string[]).includes(attribute) || rest.length > 0) {
    const name = [attribute ?? "", ...rest].join("/");
    return bad(`Unknown push rule attribute '${name}': only 'enabled' or 'actions'`);
  }
  return new MatrixError("M_UNRECOGNIZED", `${method} is not allowed on a push rule's ${attribute}`, {}, 405);
}

// GET /_matrix/client/v3/pushrules/global/{kind}/ (not in the spec: Synapse's, kept for the clients
// that call it; see specs/legacy.md)
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `GET /pushrules/global/{kind}/`: the rules of one kind, in priority order, as a JSON array. */
export function getPushRulesOfKind(push: PushRulesService): Route {
  return {
    method: "GET",
    paths: clientPaths("/pushrules/global/:kind/"),
    auth: "required",
    handler: async (req) =>
      ok(await push.rulesOfKind(req.user().userId, pushRuleKindParam(req.param("kind")))),
  };
}

// GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId} (Push Notifications module, "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `GET /pushrules/global/{kind}/{ruleId}`: one rule; 404 `M_NOT_FOUND` when there is none. */
export function getPushRule(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.getPushRule),
    handler: async (req) =>
      ok(await push.rule(req.user().userId, pushRuleKindParam(req.param("kind")), req.param("ruleId"))),
  };
}

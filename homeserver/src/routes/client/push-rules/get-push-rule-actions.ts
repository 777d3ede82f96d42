// GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions (Push Notifications module,
// "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `GET /pushrules/global/{kind}/{ruleId}/actions`. */
export function getPushRuleActions(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.getPushRuleActions),
    async handler(req) {
      const rule = await push.rule(
        req.user().userId,
        pushRuleKindParam(req.param("kind")),
        req.param("ruleId"),
      );
      return ok({ actions: rule.actions });
    },
  };
}

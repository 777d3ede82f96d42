// GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled (Push Notifications module,
// "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `GET /pushrules/global/{kind}/{ruleId}/enabled`. */
export function getPushRuleEnabled(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.isPushRuleEnabled),
    async handler(req) {
      const rule = await push.rule(
        req.user().userId,
        pushRuleKindParam(req.param("kind")),
        req.param("ruleId"),
      );
      return ok({ enabled: rule.enabled });
    },
  };
}

// DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId} (Push Notifications module, "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `DELETE /pushrules/global/{kind}/{ruleId}`: removes a user-defined rule. */
export function deletePushRule(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.deletePushRule),
    async handler(req) {
      await push.deleteRule(req.user().userId, pushRuleKindParam(req.param("kind")), req.param("ruleId"));
      return ok({});
    },
  };
}

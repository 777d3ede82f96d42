// PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions (Push Notifications module,
// "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `PUT /pushrules/global/{kind}/{ruleId}/actions`: server-default rules too. */
export function putPushRuleActions(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.setPushRuleActions),
    async handler(req) {
      const kind = pushRuleKindParam(req.param("kind"));
      const { actions } = await req.json();
      await push.change(req.user().userId, kind, req.param("ruleId"), { actions: actions as unknown[] });
      return ok({});
    },
  };
}

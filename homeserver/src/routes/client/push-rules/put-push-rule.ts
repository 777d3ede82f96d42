// PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId} (Push Notifications module, "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `PUT /pushrules/global/{kind}/{ruleId}?before=&after=`: adds or replaces a user-defined rule. */
export function putPushRule(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.setPushRule),
    async handler(req) {
      const kind = pushRuleKindParam(req.param("kind"));
      const before = req.c.req.query("before");
      const after = req.c.req.query("after");
      await push.setRule(req.user().userId, kind, req.param("ruleId"), await req.json(), {
        ...(before ? { before } : {}),
        ...(after ? { after } : {}),
      });
      return ok({});
    },
  };
}

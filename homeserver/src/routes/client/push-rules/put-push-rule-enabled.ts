// PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled (Push Notifications module,
// "Push Rules: API")
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { pushRuleKindParam } from "./parse.js";

/** `PUT /pushrules/global/{kind}/{ruleId}/enabled`: server-default rules too. */
export function putPushRuleEnabled(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.setPushRuleEnabled),
    async handler(req) {
      const kind = pushRuleKindParam(req.param("kind"));
      const enabled = (await req.json()).enabled;
      if (enabled === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'enabled'");
      if (typeof enabled !== "boolean") throw new MatrixError("M_BAD_JSON", "'enabled' must be a boolean");
      await push.change(req.user().userId, kind, req.param("ruleId"), { enabled });
      return ok({});
    },
  };
}

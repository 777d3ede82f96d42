/**
 * Push rule routes (Push Notifications module, "Push Rules: API"): GET /pushrules/, GET
 * /pushrules/global/, GET /pushrules/global/{kind}/, GET/PUT/DELETE /pushrules/global/{kind}/{ruleId},
 * GET/PUT /pushrules/global/{kind}/{ruleId}/enabled and /actions; then the answers for malformed
 * push rule paths, which must come last.
 */
import type { Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";
import { deletePushRule } from "./delete-push-rule.js";
import { getPushRule } from "./get-push-rule.js";
import { getPushRuleActions } from "./get-push-rule-actions.js";
import { getPushRuleEnabled } from "./get-push-rule-enabled.js";
import { getPushRules } from "./get-push-rules.js";
import { getPushRulesGlobal } from "./get-push-rules-global.js";
import { getPushRulesOfKind } from "./get-push-rules-of-kind.js";
import { malformedPushRulePathRoute } from "./malformed-push-rule-path.js";
import { putPushRule } from "./put-push-rule.js";
import { putPushRuleActions } from "./put-push-rule-actions.js";
import { putPushRuleEnabled } from "./put-push-rule-enabled.js";

/** Every push rule route, the malformed-path answers last. */
export function pushRuleRoutes(push: PushRulesService): Route[] {
  return [
    getPushRules(push),
    getPushRulesGlobal(push),
    getPushRulesOfKind(push),
    getPushRule(push),
    putPushRule(push),
    deletePushRule(push),
    getPushRuleEnabled(push),
    putPushRuleEnabled(push),
    getPushRuleActions(push),
    putPushRuleActions(push),
    malformedPushRulePathRoute("GET"),
    malformedPushRulePathRoute("PUT"),
    malformedPushRulePathRoute("DELETE"),
  ];
}

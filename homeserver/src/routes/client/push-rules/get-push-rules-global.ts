// GET /_matrix/client/v3/pushrules/global/ (Push Notifications module, "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";

/** `GET /pushrules/global/`: the user's global ruleset. */
export function getPushRulesGlobal(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.getPushRulesGlobal),
    handler: async (req) => ok(await push.ruleset(req.user().userId)),
  };
}

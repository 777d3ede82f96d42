// GET /_matrix/client/v3/pushrules/ (Push Notifications module, "Push Rules: API")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";

/** `GET /pushrules/`: every ruleset of the user; the spec defines only `global`. */
export function getPushRules(push: PushRulesService): Route {
  return {
    ...fromEndpoint(clientApi.getPushRules),
    async handler(req) {
      // `device` (always empty) is what Synapse sends alongside `global`: older clients and the
      // conformance suites look for it. Hearth has no per-device rules.
      return ok({ global: await push.ruleset(req.user().userId), device: {} });
    },
  };
}

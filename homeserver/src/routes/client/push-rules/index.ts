/**
 * Push rule routes (Push Notifications module, "Push Rules: API"):
 * GET /pushrules/, GET /pushrules/global/, GET/PUT/DELETE /pushrules/global/{kind}/{ruleId},
 * GET/PUT /pushrules/global/{kind}/{ruleId}/enabled and /actions.
 */
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { PushRulesService } from "../../../services/push/push-rules-service.js";

const RULE = "/pushrules/global/:kind/:ruleId";

/** Every push rule route. */
export function pushRuleRoutes(push: PushRulesService): Route[] {
  return [
    {
      method: "GET",
      paths: clientPaths("/pushrules/"),
      auth: "required",
      handler: async (req) => ok({ global: await push.ruleset(req.user().userId) }),
    },
    {
      method: "GET",
      paths: clientPaths("/pushrules/global/"),
      auth: "required",
      handler: async (req) => ok(await push.ruleset(req.user().userId)),
    },
    {
      method: "GET",
      paths: clientPaths(RULE),
      auth: "required",
      handler: async (req) => ok(await push.rule(req.user().userId, req.param("kind"), req.param("ruleId"))),
    },
    {
      method: "PUT",
      paths: clientPaths(RULE),
      auth: "required",
      async handler(req) {
        const before = req.c.req.query("before");
        const after = req.c.req.query("after");
        await push.setRule(req.user().userId, req.param("kind"), req.param("ruleId"), await req.json(), {
          ...(before ? { before } : {}),
          ...(after ? { after } : {}),
        });
        return ok({});
      },
    },
    {
      method: "DELETE",
      paths: clientPaths(RULE),
      auth: "required",
      async handler(req) {
        await push.deleteRule(req.user().userId, req.param("kind"), req.param("ruleId"));
        return ok({});
      },
    },
    {
      method: "GET",
      paths: clientPaths(`${RULE}/enabled`),
      auth: "required",
      async handler(req) {
        const rule = await push.rule(req.user().userId, req.param("kind"), req.param("ruleId"));
        return ok({ enabled: rule.enabled });
      },
    },
    {
      method: "PUT",
      paths: clientPaths(`${RULE}/enabled`),
      auth: "required",
      async handler(req) {
        const enabled = (await req.json()).enabled;
        if (typeof enabled !== "boolean") throw new MatrixError("M_BAD_JSON", "enabled must be a boolean");
        await push.change(req.user().userId, req.param("kind"), req.param("ruleId"), { enabled });
        return ok({});
      },
    },
    {
      method: "GET",
      paths: clientPaths(`${RULE}/actions`),
      auth: "required",
      async handler(req) {
        const rule = await push.rule(req.user().userId, req.param("kind"), req.param("ruleId"));
        return ok({ actions: rule.actions });
      },
    },
    {
      method: "PUT",
      paths: clientPaths(`${RULE}/actions`),
      auth: "required",
      async handler(req) {
        const actions = (await req.json()).actions;
        if (!Array.isArray(actions)) throw new MatrixError("M_BAD_JSON", "actions must be an array");
        await push.change(req.user().userId, req.param("kind"), req.param("ruleId"), { actions });
        return ok({});
      },
    },
  ];
}

// GET /_matrix/client/v3/pushers and POST /_matrix/client/v3/pushers/set (Push Notifications, "Pushers"),
// and GET /_matrix/client/v3/notifications ("Listing notifications").
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { queryInteger } from "../../../http/validate.js";
import type { NotificationsService } from "../../../services/push/notifications.js";
import type { PusherService } from "../../../services/push/pusher-service.js";

/** The pusher routes. */
export function pusherRoutes(pushers: PusherService): Route[] {
  return [
    {
      method: "GET",
      paths: clientPaths("/pushers"),
      auth: "required",
      handler: (req) => ok({ pushers: pushers.list(req.user().userId) }),
    },
    {
      method: "POST",
      paths: clientPaths("/pushers/set"),
      auth: "required",
      rateLimit: "message",
      async handler(req) {
        await pushers.set(req.user().userId, await req.json());
        return ok({});
      },
    },
  ];
}

/** `GET /notifications?from&limit&only=highlight`. */
export function notificationsRoute(notifications: NotificationsService): Route {
  return {
    method: "GET",
    paths: clientPaths("/notifications"),
    auth: "required",
    async handler(req) {
      const q = (name: string) => req.c.req.query(name);
      const only = q("only");
      if (only !== undefined && only !== "highlight")
        throw new MatrixError("M_INVALID_PARAM", "only must be highlight");
      const limit = queryInteger(q("limit"), "limit", 1, 1000);
      const from = q("from");
      return ok(
        await notifications.list(req.user().userId, {
          ...(from ? { from } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(only ? { only } : {}),
        }),
      );
    },
  };
}

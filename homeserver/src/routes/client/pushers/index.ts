// GET /_matrix/client/v3/pushers and POST /_matrix/client/v3/pushers/set (Push Notifications, "Pushers")
import { clientPaths, ok, type Route } from "../../../http/route.js";
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

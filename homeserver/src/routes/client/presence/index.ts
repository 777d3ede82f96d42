/**
 * Presence routes (Presence module): `GET`/`PUT /presence/{userId}/status`.
 */
import { clientApi, MatrixError } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import { isPresenceState, type PresenceService } from "../../../services/presence/presence-service.js";

/** The presence routes. */
export function presenceRoutes(presence: PresenceService): Route[] {
  return [
    // GET /_matrix/client/v3/presence/{userId}/status
    {
      method: "GET",
      paths: clientPaths("/presence/:userId/status"),
      auth: "required",
      guest: true,
      handler: async (req) => ok(await presence.status(req.user().userId, req.param("userId"))),
    },
    // PUT /_matrix/client/v3/presence/{userId}/status
    {
      ...fromEndpoint(clientApi.setPresence),
      guest: true,
      async handler(req) {
        const user = req.user();
        if (req.param("userId") !== user.userId)
          throw new MatrixError("M_FORBIDDEN", "You can only set your own presence");
        const body = await req.json();
        if (!isPresenceState(body.presence))
          throw new MatrixError("M_BAD_JSON", "presence must be online, unavailable or offline");
        const msg = body.status_msg;
        if (msg !== undefined && msg !== null && (typeof msg !== "string" || msg.length > 1024)) {
          throw new MatrixError("M_BAD_JSON", "status_msg must be a string of at most 1024 characters");
        }
        await presence.setLocal(user.userId, body.presence, msg as string | null | undefined);
        return ok({});
      },
    },
  ];
}

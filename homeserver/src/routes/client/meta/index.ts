/**
 * Server metadata: `GET /_matrix/client/versions`, `GET /.well-known/matrix/client`,
 * `GET /_matrix/client/v3/capabilities` (Client-Server API, "API Versions", "Server Discovery",
 * "Capabilities negotiation").
 */
import { clientApi, ROOM_VERSIONS } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { ModuleContext } from "../../../server.js";

/** The spec versions whose endpoints this server implements. */
export const SUPPORTED_VERSIONS = [
  "r0.6.1",
  "v1.1",
  "v1.2",
  "v1.3",
  "v1.4",
  "v1.5",
  "v1.6",
  "v1.7",
  "v1.8",
  "v1.9",
  "v1.10",
  "v1.11",
];

/** The meta routes. */
export function metaRoutes(ctx: ModuleContext): Route[] {
  return [
    // GET /_matrix/client/versions ("API Versions")
    {
      ...fromEndpoint(clientApi.getVersions),
      guest: true,
      handler: () =>
        ok({
          versions: SUPPORTED_VERSIONS,
          // The WebSocket sync stream (`specs/websocket-sync.md`), when it is on.
          unstable_features: ctx.config.wsSync ? { "org.hearth.ws": true } : {},
        }),
    },
    // GET /.well-known/matrix/client ("Well-known URIs")
    {
      method: "GET",
      paths: ["/.well-known/matrix/client"],
      auth: "none",
      handler: () => ok({ "m.homeserver": { base_url: ctx.config.publicBaseUrl } }),
    },
    // GET /_matrix/client/v3/capabilities ("Capabilities negotiation")
    {
      method: "GET",
      paths: clientPaths("/capabilities"),
      auth: "required",
      guest: true,
      handler: () =>
        ok({
          capabilities: {
            "m.room_versions": {
              default: ctx.config.defaultRoomVersion,
              available: Object.fromEntries([...ROOM_VERSIONS.values()].map((r) => [r.id, r.stability])),
            },
            "m.change_password": { enabled: true },
            "m.set_displayname": { enabled: true },
            "m.set_avatar_url": { enabled: true },
            "m.3pid_changes": { enabled: false },
            "m.get_login_token": { enabled: false },
          },
        }),
    },
  ];
}

/**
 * The federation serving endpoints (keys, version, events, state, backfill, queries, directory,
 * devices, keys). The lead's inbound endpoints (`send`, joins, leaves, invites, knocks) register
 * beside these through `federationModule`.
 */
import type { FederationRoute } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";
import { getBackfillRoute } from "./get-backfill.js";
import { getEventRoute } from "./get-event.js";
import { getEventAuthRoute } from "./get-event-auth.js";
import { getQueryDirectoryRoute } from "./get-query-directory.js";
import { getQueryKeysRoute } from "./get-query-keys.js";
import { getQueryProfileRoute } from "./get-query-profile.js";
import { getServerKeysRoute } from "./get-server-keys.js";
import { getStateRoute } from "./get-state.js";
import { getStateIdsRoute } from "./get-state-ids.js";
import { getUserDevicesRoute } from "./get-user-devices.js";
import { getVersionRoute } from "./get-version.js";
import { getWellKnownServerRoute } from "./get-well-known-server.js";
import { postGetMissingEventsRoute } from "./post-get-missing-events.js";
import { postQueryKeysRoute } from "./post-query-keys.js";
import { userKeysRoutes } from "./post-user-keys.js";
import { publicRoomsRoutes } from "./public-rooms.js";

export type { E2eKeysReader, FederationServingDeps, PublicRoomsReader } from "./deps.js";
export { wellKnownDelegation, wellKnownServerClientRoute } from "./get-well-known-server.js";

/** Every serving endpoint. */
export function servingRoutes(deps: FederationServingDeps): FederationRoute[] {
  return [
    getWellKnownServerRoute(deps),
    getVersionRoute(deps),
    getServerKeysRoute(deps),
    getQueryKeysRoute(deps),
    postQueryKeysRoute(deps),
    getEventRoute(deps),
    getStateRoute(deps),
    getStateIdsRoute(deps),
    getEventAuthRoute(deps),
    getBackfillRoute(deps),
    postGetMissingEventsRoute(deps),
    getQueryDirectoryRoute(deps),
    getQueryProfileRoute(deps),
    ...publicRoomsRoutes(deps),
    getUserDevicesRoute(deps),
    ...userKeysRoutes(deps),
  ];
}

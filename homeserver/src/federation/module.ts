/**
 * The federation module: our keys and the remote key cache, the outbound client, the serving
 * endpoints and the HTTPS listener. `modules.ts` builds it from the stores and services it reads;
 * the inbound endpoints (transactions, joins, leaves, invites, knocks) are added as extra routes.
 */
import { readFileSync } from "node:fs";
import type { FederationClient } from "@hearth/federation";
import type { Hono } from "hono";
import { type FederationServingDeps, servingRoutes } from "../routes/federation/index.js";
import type { ModuleContext } from "../server.js";
import { ServerKeyStore } from "../storage/server-keys.js";
import type { StateGroupStore } from "../storage/state.js";
import { createFederationApp } from "./app.js";
import { KeyService, type KeyServiceOptions } from "./keys.js";
import { type FederationListener, startFederationListener } from "./listener.js";
import { createOutboundFederation, type OutboundOptions } from "./outbound.js";
import { FederationRoomAccess } from "./room-access.js";
import type { FederationRoute } from "./route.js";

/** What the federation module is built from. */
export interface FederationModuleDeps
  extends ModuleContext,
    Pick<
      FederationServingDeps,
      "events" | "rooms" | "directory" | "publicRooms" | "profiles" | "devices" | "e2eKeys"
    > {
  readonly stateGroups: StateGroupStore;
  /** Extra routes served on the federation listener (the inbound endpoints). */
  readonly routes?: readonly FederationRoute[];
  /** Our version for `/version`; defaults to the homeserver package's. */
  readonly version?: string;
  readonly keyOptions?: KeyServiceOptions;
  readonly outbound?: OutboundOptions;
}

/** The built federation module. */
export interface FederationModule {
  /** The serving routes plus `deps.routes`. */
  readonly routes: FederationRoute[];
  readonly keys: KeyService;
  /** The one outbound client (signed as us), for every outbound federation request. */
  readonly client: FederationClient;
  /** Room access checks (in room, ACL, visibility for servers), for the inbound endpoints too. */
  readonly access: FederationRoomAccess;
  /** The listener's port once started. */
  readonly port: number | undefined;
  /** The federation Hono app with the module's routes and `extraRoutes` (for tests). */
  app(extraRoutes?: readonly FederationRoute[]): Hono;
  /**
   * Starts the HTTPS listener with the module's routes and `extraRoutes`, when `federation.bind` is
   * configured; undefined otherwise.
   */
  start(extraRoutes?: readonly FederationRoute[]): Promise<{ port: number } | undefined>;
  /** Stops the listener. */
  stop(): Promise<void>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** Builds the federation module (loads our former keys from storage). */
export async function federationModule(deps: FederationModuleDeps): Promise<FederationModule> {
  const { config, db, logger, signingKey, now } = deps;
  const keys = new KeyService({
    serverName: config.serverName,
    signingKey,
    db,
    store: new ServerKeyStore(db),
    logger,
    now,
    ...(deps.keyOptions ? { options: deps.keyOptions } : {}),
  });
  await keys.init();
  const client = createOutboundFederation(config, keys, deps.outbound);
  keys.setClient(client);
  const access = new FederationRoomAccess({
    events: deps.events,
    rooms: deps.rooms,
    stateGroups: deps.stateGroups,
  });
  let listener: FederationListener | undefined;
  const routes = [
    ...servingRoutes({
      serverName: config.serverName,
      version: deps.version ?? packageVersion(),
      keys,
      access,
      events: deps.events,
      rooms: deps.rooms,
      directory: deps.directory,
      publicRooms: deps.publicRooms,
      profiles: deps.profiles,
      devices: deps.devices,
      ...(deps.e2eKeys ? { e2eKeys: deps.e2eKeys } : {}),
      federationPort: () => listener?.port,
      now,
    }),
    ...(deps.routes ?? []),
  ];
  const app = (extraRoutes: readonly FederationRoute[] = []) =>
    createFederationApp({
      routes: [...routes, ...extraRoutes],
      serverName: config.serverName,
      keys,
      serverAllowed: (origin, roomId) => access.serverAllowed(origin, roomId),
      logger,
      now,
    });
  return {
    routes,
    keys,
    client,
    access,
    get port() {
      return listener?.port;
    },
    app,
    async start(extraRoutes = []) {
      if (config.federation.bind === undefined) return undefined;
      if (listener) return { port: listener.port };
      listener = await startFederationListener(config, app(extraRoutes));
      logger.info({ port: listener.port }, "federation listener started");
      return { port: listener.port };
    },
    async stop() {
      const l = listener;
      listener = undefined;
      await l?.close();
    },
  };
}

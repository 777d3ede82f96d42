/**
 * The composition root: configuration → storage → services → HTTP. The only place that wires
 * dependencies together; every service receives exactly what it uses through its constructor.
 */
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { SigningKey } from "@hearth/federation";
import { type ServerType, serve } from "@hono/node-server";
import type { Logger } from "pino";
import type { HearthConfig } from "./config/config.js";
import { createApp } from "./http/app.js";
import { RateLimiter } from "./http/rate-limit.js";
import { handleUpgrades } from "./http/upgrade.js";
import { createLogger } from "./logger.js";
import { startMetricsListener } from "./metrics/listener.js";
import { Metrics } from "./metrics/metrics.js";
import { type BuiltModules, buildModules } from "./modules.js";
import { WS_SYNC_PATH, type WsSyncOptions } from "./services/sync/ws-stream.js";
import { loadOrCreateSigningKey } from "./signing-key.js";
import { Database } from "./storage/db.js";
import { repositoryWebClient, type WebClientSetup } from "./web/index.js";

/** What every module is built from. */
export interface ModuleContext {
  readonly config: HearthConfig;
  readonly db: Database;
  readonly logger: Logger;
  readonly signingKey: SigningKey;
  /** Milliseconds since the epoch (injectable for tests). */
  readonly now: () => number;
  /** The metrics, when a metrics listener is configured. */
  readonly metrics?: Metrics;
  /** Timings of the WebSocket sync stream (the spec's by default; tests shorten them). */
  readonly wsSync?: WsSyncOptions;
}

/** Options of a server beyond its configuration (tests use them). */
export interface ServerOptions {
  /** Timings of the WebSocket sync stream. */
  readonly wsSync?: WsSyncOptions;
  /**
   * Where the web client's files are and whether to build them when stale (`hearth start` does; by
   * default the repository's build is served as it is).
   */
  readonly webClient?: WebClientSetup;
}

/** A running server. */
export interface RunningServer {
  /** The base URL of the client API (with the port actually bound). */
  readonly url: string;
  readonly port: number;
  readonly context: ModuleContext;
  /** The federation listener's port, when federation is configured. */
  readonly federationPort: number | undefined;
  /** The services and stores (for tests and tools). */
  readonly services: BuiltModules["services"];
  /** The metrics listener's port, when metrics are configured. */
  readonly metricsPort: number | undefined;
  /** Every endpoint served: the client listener's and the federation listener's. */
  readonly routes: {
    readonly client: BuiltModules["routes"];
    readonly federation: BuiltModules["federationRoutes"];
  };
  /** Stops accepting, finishes in-flight requests and writes, closes the database. */
  close(): Promise<void>;
}

/** Opens the database and builds the services and routes, without listening. */
export async function buildServer(
  config: HearthConfig,
  logger: Logger = createLogger(config.logLevel),
  options: ServerOptions = {},
) {
  await mkdir(config.dataDir, { recursive: true });
  const signingKey = await loadOrCreateSigningKey(config.dataDir);
  const db = await Database.open(join(config.dataDir, "db"), { logger });
  const context: ModuleContext = {
    config,
    db,
    logger,
    signingKey,
    now: Date.now,
    ...(config.metricsBind ? { metrics: new Metrics() } : {}),
    ...(options.wsSync ? { wsSync: options.wsSync } : {}),
  };

  const built = await buildModules(context);
  const webClient = config.webClient ? await repositoryWebClient(logger, options.webClient) : undefined;
  const app = createApp({
    routes: built.routes,
    auth: built.authenticator,
    rateLimiter: new RateLimiter(config.rateLimits),
    logger,
    maxRequestBytes: config.maxRequestBytes,
    ...(webClient ? { webClient } : {}),
  });
  return { app, context, built, webClient };
}

/** Builds the server and listens on the configured address (port 0 picks a free port). */
export async function startServer(
  config: HearthConfig,
  logger?: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const { app, context, built, webClient } = await buildServer(config, logger, options);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.bind.host, port: config.bind.port }, () =>
      resolve(s),
    );
    s.once("error", reject);
  });
  // WebSocket upgrades share the client listener: the sync stream's, when on (`ws_sync`).
  handleUpgrades(server as Server, built.services.wsSync, WS_SYNC_PATH);
  const port = (server.address() as AddressInfo).port;
  const { federationPort } = await built.start();
  // In the background: the API answers at once, the page once a stale build is rebuilt.
  webClient?.start();
  const metricsListener =
    config.metricsBind && context.metrics
      ? await startMetricsListener(config.metricsBind, context.metrics)
      : undefined;
  const host = config.bind.host.includes(":") ? `[${config.bind.host}]` : config.bind.host;
  context.logger.info({ serverName: config.serverName, port }, "Hearth is listening");
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    federationPort,
    context,
    services: built.services,
    routes: { client: built.routes, federation: built.federationRoutes },
    metricsPort: metricsListener?.port,
    close() {
      closing ??= (async () => {
        // Stops the WebSocket sync streams (close code 1001) first, then the rest.
        await built.stop();
        await webClient?.stop();
        await metricsListener?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Long-polls and idle keep-alive connections must not hold shutdown open.
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await context.db.close();
      })();
      return closing;
    },
  };
}

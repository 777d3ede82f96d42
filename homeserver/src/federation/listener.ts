/**
 * The federation listener: an HTTPS server ("TLS": server-server traffic is always HTTPS) on
 * `federation.bind`, serving the federation app with the configured certificate and key.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { HearthConfig } from "../config/config.js";

/** A running federation listener. */
export interface FederationListener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections and waits for in-flight requests. */
  close(): Promise<void>;
}

/** Thrown when the listener cannot start (no bind address, unreadable certificate). */
export class FederationListenerError extends Error {
  override readonly name = "FederationListenerError";
}

/** How long `close()` waits for in-flight requests before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Starts the HTTPS federation listener on `config.federation.bind` with the PEM files
 * `config.federation.tlsCert` and `tlsKey`.
 */
export async function startFederationListener(
  config: Pick<HearthConfig, "federation">,
  app: Pick<Hono, "fetch">,
): Promise<FederationListener> {
  const { bind, tlsCert, tlsKey } = config.federation;
  if (!bind) throw new FederationListenerError("federation_bind is not configured");
  if (!tlsCert || !tlsKey) throw new FederationListenerError("federation_bind needs tls_cert and tls_key");
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(tlsCert), readFile(tlsKey)]);
  } catch (e) {
    throw new FederationListenerError(`Cannot read the TLS certificate or key: ${(e as Error).message}`);
  }
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: bind.host,
        port: bind.port,
        createServer,
        serverOptions: { cert, key },
      },
      () => resolve(s),
    );
    s.once("error", reject);
  });
  const https = server as Server;
  // A slow or silent peer must not hold a socket forever.
  https.headersTimeout = 30_000;
  https.requestTimeout = 120_000;
  const port = (https.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => https.closeAllConnections(), CLOSE_GRACE_MS);
        timer.unref();
        https.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Idle keep-alive connections would otherwise hold close() open until they time out.
        https.closeIdleConnections();
      });
      return closing;
    },
  };
}

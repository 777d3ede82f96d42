/**
 * The metrics listener: plain HTTP on `metrics_bind`, serving `GET /metrics` (Prometheus text
 * format) and nothing else. Its own address, so that metrics are never public by accident.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

/** A running metrics listener. */
export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `bind` and serves `metrics`. */
export async function startMetricsListener(
  bind: { readonly host: string; readonly port: number },
  metrics: Metrics,
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("Metrics unavailable\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

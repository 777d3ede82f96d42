import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";

describe("metrics listener", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ metrics_bind: "127.0.0.1:0" });
  });
  afterAll(() => server.destroy());

  it("serves Prometheus text at /metrics on its own port, and nothing else", async () => {
    const base = `http://127.0.0.1:${server.metricsPort}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      "hearth_federation_transactions_sent_total",
      "hearth_gossip_bytes_sent_total",
      "hearth_process_resident_memory_bytes",
    ]) {
      expect(text).toContain(name);
    }
    expect((await fetch(`${base}/other`)).status).toBe(404);
    // Not on the client listener.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});

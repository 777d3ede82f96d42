// The outbound HTTPS client against a real local HTTPS server whose certificate a test CA issued.
import { createServer as createHttpsServer, type Server } from "node:https";
import { rootCertificates } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeafCertificate, createTestCa } from "../federation/tls.js";
import { createOutboundHttp, OutboundHttpError } from "./outbound.js";

const ca = createTestCa("Outbound test CA");
let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; body: string; headers: Record<string, unknown> }> = [];

beforeAll(async () => {
  const leaf = createLeafCertificate(ca, ["127.0.0.1"]);
  server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", body, headers: req.headers });
      if (req.url === "/slow") return; // never answers
      if (req.url === "/text") {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("bad gateway");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ rejected: [], echo: body === "" ? null : JSON.parse(body) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("outbound HTTPS", () => {
  it("trusts a CA it is given (as federation_ca), on top of Node's", async () => {
    const client = createOutboundHttp({ ca: [...rootCertificates, ca.cert] });
    const res = await client.postJson(`${base}/_matrix/push/v1/notify`, { notification: { event_id: "$e" } });
    expect(res).toEqual({ status: 200, body: { rejected: [], echo: { notification: { event_id: "$e" } } } });
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ method: "POST", url: "/_matrix/push/v1/notify" });
    expect(last.headers["content-type"]).toBe("application/json");
    expect((await client.getJson(`${base}/x?y=1`)).status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/x?y=1", body: "" });
    // A body that is not JSON: the status, and no body.
    expect(await client.postJson(`${base}/text`, {})).toEqual({ status: 502, body: undefined });
  });

  it("refuses a certificate no trusted CA issued", async () => {
    const client = createOutboundHttp();
    const err = await client.postJson(`${base}/_matrix/push/v1/notify`, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundHttpError);
    expect((err as OutboundHttpError).name).toBe("OutboundHttpError");
    expect((err as Error).message).toMatch(/certificate/i);
  });

  it("times out, and calls only http and https URLs", async () => {
    const client = createOutboundHttp({ ca: [ca.cert], timeoutMs: 200 });
    const slow = await client.getJson(`${base}/slow`).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(OutboundHttpError);
    expect((slow as Error).message).toMatch(/timed out after 200 ms/);
    for (const url of ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"]) {
      await expect(client.getJson(url)).rejects.toBeInstanceOf(OutboundHttpError);
    }
  });
});

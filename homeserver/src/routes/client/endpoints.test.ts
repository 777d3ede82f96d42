// Every Client-Server endpoint declared in @hearth/federation's `clientApi` is served, at every path
// the descriptor names, with its method and authentication: the descriptors the SDK calls through
// and the server's routes cannot drift apart.
import { clientApi, fillPath, pathParamNames } from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../testing/harness.js";

describe("declared client endpoints", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.destroy());

  it("each is implemented by a route that names it", () => {
    for (const ep of clientApi.CLIENT_ENDPOINTS) {
      const route = server.routes.client.find((r) => r.endpoint === ep);
      expect(route, ep.name).toBeDefined();
      expect(route!.method).toBe(ep.method);
      expect(route!.auth).toBe(ep.auth);
    }
    const names = clientApi.CLIENT_ENDPOINTS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("each answers at every declared path (never M_UNRECOGNIZED)", async () => {
    for (const ep of clientApi.CLIENT_ENDPOINTS) {
      for (const path of [ep.path, ...(ep.aliases ?? [])]) {
        const params = Object.fromEntries(
          pathParamNames(path).map((n) => [n, n === "userId" ? "@a:localhost" : "x"]),
        );
        const res = await fetch(server.url + fillPath(path, params), {
          method: ep.method,
          ...(ep.method === "GET" ? {} : { body: "{}", headers: { "content-type": "application/json" } }),
        });
        const body = (await res.json().catch(() => ({}))) as { errcode?: string };
        expect(body.errcode, `${ep.method} ${path}`).not.toBe("M_UNRECOGNIZED");
      }
    }
  });
});

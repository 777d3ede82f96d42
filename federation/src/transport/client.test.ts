import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signingKeyFromSeed, signJson } from "../crypto/index.js";
import { MatrixError } from "../errors/index.js";
import {
  createFederationClient,
  encodeQuery,
  FederationRequestError,
  FederationTransportError,
} from "./client.js";
import { type ResolvedServer, resolveServer, ServerDiscoveryError } from "./discovery.js";
import { createWellKnownFetcher, type FederationFetch, type FederationHttpRequest } from "./http.js";
import { createNodeTransport } from "./node-transport.js";
import { buildServerKeys, ServerKeysError } from "./server-keys.js";
import { verifyRequest } from "./x-matrix.js";

const ourKey = signingKeyFromSeed("ed25519:1", "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1");
const remoteKey = signingKeyFromSeed("ed25519:r", new Uint8Array(32).fill(5));
const notaryKey = signingKeyFromSeed("ed25519:n", new Uint8Array(32).fill(6));
const ORIGIN = "origin.test";
const NOW = 1_700_000_000_000;

const target = (host = "203.0.113.5", port = 8448, hostHeader = "remote.test"): ResolvedServer => ({
  serverName: hostHeader,
  host,
  port,
  tlsServerName: "remote.test",
  sni: true,
  hostHeader,
  step: "6",
});

const ourKeyLookup = (server: string, keyId: string) =>
  server === ORIGIN && keyId === ourKey.keyId ? { publicKey: ourKey.publicKey } : undefined;

/** A fake transport answering from a handler and recording requests. */
function fakeFetch(
  handler: (req: FederationHttpRequest) => {
    status: number;
    body: string;
    headers?: Record<string, string | undefined>;
  },
) {
  const requests: FederationHttpRequest[] = [];
  const fetch: FederationFetch = async (req) => {
    requests.push(req);
    const { status, body, headers = {} } = handler(req);
    return { status, headers: { get: (n) => headers[n.toLowerCase()] ?? null }, text: async () => body };
  };
  return { fetch, requests };
}

function client(fetch: FederationFetch, resolved: ResolvedServer = target(), extra = {}) {
  return createFederationClient({
    origin: ORIGIN,
    key: ourKey,
    fetch,
    resolve: async () => resolved,
    now: () => NOW,
    ...extra,
  });
}

describe("createFederationClient.request", () => {
  it("signs, sets Host from discovery and connects to the resolved host and port", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: '{"ok":true}' }));
    const res = await client(fetch).request("remote.test", "get", "/_matrix/federation/v1/query/profile", {
      query: { user_id: "@a:origin.test", field: "displayname" },
    });
    expect(res).toEqual({ status: 200, json: { ok: true } });
    const req = requests[0]!;
    expect(req.method).toBe("GET");
    expect(req.url).toBe(
      "https://203.0.113.5:8448/_matrix/federation/v1/query/profile?user_id=%40a%3Aorigin.test&field=displayname",
    );
    expect(req.path).toBe(
      "/_matrix/federation/v1/query/profile?user_id=%40a%3Aorigin.test&field=displayname",
    );
    expect(req.headers.host).toBe("remote.test");
    expect(req.body).toBeUndefined();
    expect(req.headers).not.toHaveProperty("content-type");
    await expect(
      verifyRequest(
        {
          method: req.method,
          uri: req.path,
          destination: "remote.test",
          authorization: req.headers.authorization,
        },
        ourKeyLookup,
      ),
    ).resolves.toEqual({ origin: ORIGIN });
  });

  it("signs the destination's server name, not the delegated host", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: "{}" }));
    const delegated = { ...target("10.0.0.1", 443, "matrix.remote.test"), serverName: "remote.test" };
    await client(fetch, delegated).request("remote.test", "GET", "/_matrix/federation/v1/version");
    expect(requests[0]!.headers.host).toBe("matrix.remote.test");
    expect(requests[0]!.headers.authorization).toContain('destination="remote.test"');
  });

  it("sends JSON bodies, {} for a POST or PUT without one", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: "{}" }));
    const c = client(fetch);
    await c.request("remote.test", "PUT", "/_matrix/federation/v1/send/1", { body: { pdus: [], edus: [] } });
    await c.request("remote.test", "POST", "/_matrix/key/v2/query");
    expect(requests.map((r) => r.body)).toEqual(['{"pdus":[],"edus":[]}', "{}"]);
    expect(requests[0]!.headers["content-type"]).toBe("application/json");
    for (const req of requests) {
      await expect(
        verifyRequest(
          {
            method: req.method,
            uri: req.path,
            destination: "remote.test",
            content: JSON.parse(req.body!),
            authorization: req.headers.authorization,
          },
          ourKeyLookup,
        ),
      ).resolves.toEqual({ origin: ORIGIN });
    }
  });

  it("brackets IPv6 hosts in the URL and uses the scheme option", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: "[]" }));
    const res = await client(fetch, target("::1", 8008), { scheme: "http" }).request(
      "remote.test",
      "GET",
      "/x",
    );
    expect(res.json).toEqual([]);
    expect(requests[0]!.url).toBe("http://[::1]:8008/x");
  });

  it("wraps a Matrix error from the remote as FederationRequestError, not MatrixError", async () => {
    const { fetch } = fakeFetch(() => ({
      status: 429,
      body: '{"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":500}',
    }));
    const err = await client(fetch)
      .request("remote.test", "GET", "/_matrix/federation/v1/version")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederationRequestError);
    expect(err).not.toBeInstanceOf(MatrixError);
    expect(err).toMatchObject({
      name: "FederationRequestError",
      destination: "remote.test",
      status: 429,
      errcode: "M_LIMIT_EXCEEDED",
      remoteMessage: "slow down",
      retryAfterMs: 500,
      method: "GET",
      path: "/_matrix/federation/v1/version",
    });
  });

  it("wraps a non-JSON error body", async () => {
    const { fetch } = fakeFetch(() => ({ status: 502, body: "<html>Bad Gateway</html>" }));
    const err = (await client(fetch)
      .request("remote.test", "GET", "/x")
      .catch((e: unknown) => e)) as FederationRequestError;
    expect(err).toBeInstanceOf(FederationRequestError);
    expect(err.status).toBe(502);
    expect(err.errcode).toBeUndefined();
    expect(err.body).toBeUndefined();
  });

  it("refuses a 2xx answer without JSON, and oversized answers", async () => {
    const { fetch } = fakeFetch(() => ({ status: 200, body: "not json" }));
    await expect(client(fetch).request("remote.test", "GET", "/x")).rejects.toMatchObject({
      name: "FederationTransportError",
      reason: "invalid-response",
    });
    const big = fakeFetch(() => ({ status: 200, body: "[1,2,3]", headers: { "content-length": "7" } }));
    await expect(
      client(big.fetch, target(), { maxResponseLength: 6 }).request("remote.test", "GET", "/x"),
    ).rejects.toMatchObject({ reason: "too-large" });
    const big2 = fakeFetch(() => ({ status: 200, body: "[1,2,3]" }));
    await expect(
      client(big2.fetch, target(), { maxResponseLength: 6 }).request("remote.test", "GET", "/x"),
    ).rejects.toMatchObject({ reason: "too-large" });
  });

  it("tries further SRV targets in turn while connecting fails, with the same Host and signature", async () => {
    const tried: string[] = [];
    const fetch: FederationFetch = async (req) => {
      tried.push(`${req.target.host}:${req.target.port}`);
      if (req.target.host !== "third.example.net") throw new Error("ECONNREFUSED");
      return { status: 200, headers: { get: () => null }, text: async () => "{}" };
    };
    const resolved: ResolvedServer = {
      ...target("first.example.net", 8448),
      step: "4",
      addresses: ["203.0.113.1"],
      fallbacks: [
        { host: "second.example.net", port: 8449 },
        { host: "third.example.net", port: 8450 },
      ],
    };
    await client(fetch, resolved).request("remote.test", "GET", "/_matrix/federation/v1/version");
    expect(tried).toEqual(["first.example.net:8448", "second.example.net:8449", "third.example.net:8450"]);
    // All failing: the last connection error.
    const down = client(async () => Promise.reject(new Error("ECONNREFUSED")), resolved);
    await expect(down.request("remote.test", "GET", "/x")).rejects.toMatchObject({ reason: "connection" });
  });

  it("wraps discovery and connection failures", async () => {
    const failing = createFederationClient({
      origin: ORIGIN,
      key: ourKey,
      fetch: async () => Promise.reject(new Error("ECONNREFUSED")),
      resolve: async (name) => {
        throw new ServerDiscoveryError(name, "dns-failure", "no DNS");
      },
    });
    await expect(failing.request("remote.test", "GET", "/x")).rejects.toMatchObject({
      name: "FederationTransportError",
      reason: "discovery",
      destination: "remote.test",
    });
    const refused = client(async () => Promise.reject(new Error("ECONNREFUSED")));
    const err = await refused.request("remote.test", "GET", "/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederationTransportError);
    expect(err).toMatchObject({ reason: "connection" });
  });

  it("times out, and passes a caller's abort through", async () => {
    const hang: FederationFetch = (req) =>
      new Promise((_resolve, reject) =>
        req.signal?.addEventListener("abort", () => reject(req.signal?.reason)),
      );
    await expect(
      client(hang, target(), { timeoutMs: 20 }).request("remote.test", "GET", "/x"),
    ).rejects.toMatchObject({
      reason: "timeout",
    });
    const controller = new AbortController();
    const pending = client(hang).request("remote.test", "GET", "/x", { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toMatchObject({ reason: "connection" });
  });

  it("refuses paths that do not start with '/'", async () => {
    const { fetch } = fakeFetch(() => ({ status: 200, body: "{}" }));
    await expect(client(fetch).request("remote.test", "GET", "_matrix/x")).rejects.toThrow(TypeError);
  });

  it("encodes queries, repeating array parameters and skipping undefined", () => {
    expect(encodeQuery({ a: "x y", b: [1, true], c: undefined, "d&": "é" })).toBe(
      "a=x%20y&b=1&b=true&d%26=%C3%A9",
    );
  });
});

describe("key fetching through the client", () => {
  const remoteKeys = buildServerKeys({
    serverName: "remote.test",
    key: remoteKey,
    validUntilTs: NOW + 3_600_000,
  });
  const notaryOwn = buildServerKeys({
    serverName: "notary.test",
    key: notaryKey,
    validUntilTs: NOW + 3_600_000,
  });

  it("fetchServerKeys checks the response", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: JSON.stringify(remoteKeys) }));
    const keys = await client(fetch).fetchServerKeys("remote.test");
    expect(keys.verifyKeys.get("ed25519:r")?.publicKey).toEqual(remoteKey.publicKey);
    expect(requests[0]!.path).toBe("/_matrix/key/v2/server");
    await expect(client(fetch).fetchServerKeys("other.test")).rejects.toBeInstanceOf(ServerKeysError);
  });

  it("queryNotaryKeys fetches the notary's keys, asks, and checks both signatures", async () => {
    const { fetch, requests } = fakeFetch((req) =>
      req.path === "/_matrix/key/v2/server"
        ? { status: 200, body: JSON.stringify(notaryOwn) }
        : {
            status: 200,
            body: JSON.stringify({ server_keys: [signJson(remoteKeys, "notary.test", notaryKey)] }),
          },
    );
    const result = await client(fetch).queryNotaryKeys("notary.test", {
      "remote.test": ["ed25519:r"],
      "x.test": [],
    });
    expect(result.failures).toEqual([]);
    expect(result.keys.map((k) => k.serverName)).toEqual(["remote.test"]);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /_matrix/key/v2/server",
      "POST /_matrix/key/v2/query",
    ]);
    expect(JSON.parse(requests[1]!.body!)).toEqual({
      server_keys: { "remote.test": { "ed25519:r": { minimum_valid_until_ts: NOW } }, "x.test": {} },
    });
  });

  it("queryNotaryKeys reports entries the notary did not sign", async () => {
    const { fetch, requests } = fakeFetch(() => ({
      status: 200,
      body: JSON.stringify({ server_keys: [remoteKeys] }),
    }));
    const notaryKeys = new Map([[notaryKey.keyId, { publicKey: notaryKey.publicKey }]]);
    const result = await client(fetch).queryNotaryKeys("notary.test", { "remote.test": [] }, { notaryKeys });
    expect(result.failures.map((f) => f.reason)).toEqual(["notary-signature"]);
    expect(requests).toHaveLength(1);
    const unchecked = await client(fetch).queryNotaryKeys(
      "notary.test",
      { "remote.test": [] },
      { requireNotarySignature: false },
    );
    expect(unchecked.keys).toHaveLength(1);
  });
});

describe("createWellKnownFetcher", () => {
  it("follows redirects, keeping Host and SNI per hop", async () => {
    const { fetch, requests } = fakeFetch((req) =>
      req.url === "https://example.org/.well-known/matrix/server"
        ? { status: 301, body: "", headers: { location: "https://www.example.org:8443/mx" } }
        : {
            status: 200,
            body: '{"m.server":"m.example.org:443"}',
            headers: { "cache-control": "max-age=60" },
          },
    );
    const answer = await createWellKnownFetcher(fetch)("example.org");
    expect(answer).toEqual({
      status: 200,
      body: '{"m.server":"m.example.org:443"}',
      cacheControl: "max-age=60",
    });
    expect(requests.map((r) => [r.target.host, r.target.port, r.headers.host, r.path])).toEqual([
      ["example.org", 443, "example.org", "/.well-known/matrix/server"],
      ["www.example.org", 8443, "www.example.org:8443", "/mx"],
    ]);
  });

  it("refuses loops, too many redirects and scheme changes", async () => {
    const loop = fakeFetch((req) => ({
      status: 302,
      body: "",
      headers: { location: req.path === "/a" ? "/.well-known/matrix/server" : "/a" },
    }));
    await expect(createWellKnownFetcher(loop.fetch)("example.org")).rejects.toThrow(/loop/);
    let n = 0;
    const chain = fakeFetch(() => ({ status: 307, body: "", headers: { location: `/r${n++}` } }));
    await expect(createWellKnownFetcher(chain.fetch, { maxRedirects: 3 })("example.org")).rejects.toThrow(
      /Too many/,
    );
    const downgrade = fakeFetch(() => ({
      status: 301,
      body: "",
      headers: { location: "http://example.org/x" },
    }));
    await expect(createWellKnownFetcher(downgrade.fetch)("example.org")).rejects.toThrow(/redirect/);
  });

  it("refuses oversized bodies and passes other statuses on", async () => {
    const big = fakeFetch(() => ({ status: 200, body: "x".repeat(100) }));
    await expect(createWellKnownFetcher(big.fetch, { maxBytes: 10 })("example.org")).rejects.toThrow(
      /too large/,
    );
    const missing = fakeFetch(() => ({ status: 404, body: "nope" }));
    expect(await createWellKnownFetcher(missing.fetch)("example.org")).toMatchObject({ status: 404 });
  });
});

describe("end to end over node:http", () => {
  let server: Server;
  let port: number;
  const seen: Array<{ host?: string; origin?: string; error?: string }> = [];

  beforeAll(async () => {
    const remoteKeys = buildServerKeys({
      serverName: "remote.test",
      key: remoteKey,
      validUntilTs: NOW + 3_600_000,
    });
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.url === "/.well-known/matrix/server") {
          send(200, { "m.server": `127.0.0.1:${port}` });
          return;
        }
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          const { origin } = await verifyRequest(
            {
              method: req.method!,
              uri: req.url!,
              destination: "remote.test",
              ...(text === "" ? {} : { content: JSON.parse(text) }),
              authorization: req.headers.authorization,
            },
            ourKeyLookup,
          );
          seen.push({ host: req.headers.host, origin });
          if (req.url === "/_matrix/key/v2/server") send(200, remoteKeys);
          else if (req.url?.startsWith("/_matrix/federation/v1/missing"))
            send(404, { errcode: "M_NOT_FOUND", error: "no" });
          else send(200, { echo: text === "" ? null : JSON.parse(text), url: req.url });
        } catch (err) {
          seen.push({ host: req.headers.host, error: (err as Error).name });
          const e = err as MatrixError;
          send(e.status ?? 500, e.toJSON?.() ?? {});
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const local = () =>
    createFederationClient({
      origin: ORIGIN,
      key: ourKey,
      fetch: createNodeTransport({ allowPrivateAddresses: true }),
      resolve: async () => ({ ...target("127.0.0.1", port), hostHeader: "remote.test" }),
      scheme: "http",
      now: () => NOW,
    });

  it("the server authenticates what the client signs", async () => {
    const c = local();
    const put = await c.request("remote.test", "PUT", "/_matrix/federation/v1/send/t%201", {
      query: { a: "b c" },
      body: { pdus: [], edus: [], origin: ORIGIN, origin_server_ts: NOW },
    });
    expect(put.json).toEqual({
      echo: { pdus: [], edus: [], origin: ORIGIN, origin_server_ts: NOW },
      url: "/_matrix/federation/v1/send/t%201?a=b%20c",
    });
    await c.request("remote.test", "GET", "/_matrix/federation/v1/version");
    expect(seen.slice(-2)).toEqual([
      { host: "remote.test", origin: ORIGIN },
      { host: "remote.test", origin: ORIGIN },
    ]);
  });

  it("remote errors arrive as FederationRequestError", async () => {
    await expect(
      local().request("remote.test", "GET", "/_matrix/federation/v1/missing"),
    ).rejects.toMatchObject({
      name: "FederationRequestError",
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("a request signed for another destination is refused with 401 M_UNAUTHORIZED", async () => {
    const c = createFederationClient({
      origin: ORIGIN,
      key: ourKey,
      fetch: createNodeTransport({ allowPrivateAddresses: true }),
      resolve: async () => target("127.0.0.1", port, "elsewhere.test"),
      scheme: "http",
    });
    await expect(c.request("elsewhere.test", "GET", "/_matrix/federation/v1/version")).rejects.toMatchObject({
      status: 401,
      errcode: "M_UNAUTHORIZED",
    });
    expect(seen.at(-1)).toEqual({ host: "elsewhere.test", error: "RequestAuthenticationError" });
  });

  it("fetches and checks server keys", async () => {
    const keys = await local().fetchServerKeys("remote.test");
    expect([...keys.verifyKeys.keys()]).toEqual(["ed25519:r"]);
  });

  it("discovers through .well-known over the same transport", async () => {
    const transport = createNodeTransport({ allowPrivateAddresses: true });
    const resolved = await resolveServer("remote.test", {
      fetchWellKnown: (hostname) =>
        createWellKnownFetcher(transport, { scheme: "http", defaultPort: port })(
          hostname === "remote.test" ? "127.0.0.1" : hostname,
        ),
      resolveSrv: async () => [],
    });
    expect(resolved).toMatchObject({ host: "127.0.0.1", port, step: "3.1" });
  });

  it("the node transport keeps connections alive per destination", async () => {
    let connections = 0;
    const count = () => connections++;
    server.on("connection", count);
    try {
      const c = createFederationClient({
        origin: ORIGIN,
        key: ourKey,
        fetch: createNodeTransport({ allowPrivateAddresses: true }),
        resolve: async () => target("127.0.0.1", port),
        scheme: "http",
      });
      for (let i = 0; i < 3; i++) await c.request("remote.test", "GET", "/_matrix/federation/v1/version");
      expect(connections).toBe(1);
    } finally {
      server.off("connection", count);
    }
  });

  it("the node transport refuses private addresses unless allowed", async () => {
    const c = createFederationClient({
      origin: ORIGIN,
      key: ourKey,
      fetch: createNodeTransport(),
      resolve: async () => target("127.0.0.1", port),
      scheme: "http",
    });
    const err = await c
      .request("remote.test", "GET", "/_matrix/federation/v1/version")
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "FederationTransportError", reason: "connection" });
    expect((err as Error).cause).toMatchObject({ name: "UnsafeAddressError", addressClass: "loopback" });
    const viaDns = createNodeTransport({ lookup: async () => ["10.0.0.1", "127.0.0.1"] });
    await expect(
      viaDns({
        url: "http://x.test:1/",
        method: "GET",
        path: "/",
        headers: {},
        target: { host: "x.test", port: 1, tlsServerName: "x.test", sni: true, hostHeader: "x.test" },
      }),
    ).rejects.toMatchObject({ name: "UnsafeAddressError", addressClass: "private" });
  });
});

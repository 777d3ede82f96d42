import { describe, expect, it } from "vitest";
import {
  createServerResolver,
  type DiscoveryDeps,
  orderSrvRecords,
  parseWellKnown,
  resolveServer,
  ServerDiscoveryError,
  type SrvRecord,
  WELL_KNOWN_CACHE,
  WellKnownCache,
  type WellKnownResponse,
  wellKnownCacheMs,
} from "./discovery.js";

const HOUR = 60 * 60 * 1000;

interface World {
  wellKnown?: Record<string, WellKnownResponse | Error>;
  srv?: Record<string, SrvRecord[] | Error>;
  hosts?: Record<string, string[]>;
}

/** Fake DNS and .well-known, recording every lookup. */
function fake(world: World, extra: Partial<DiscoveryDeps> = {}) {
  const calls: string[] = [];
  const deps: DiscoveryDeps = {
    async fetchWellKnown(hostname) {
      calls.push(`wk:${hostname}`);
      const answer = world.wellKnown?.[hostname];
      if (answer instanceof Error) throw answer;
      return answer ?? { status: 404, body: "" };
    },
    async resolveSrv(name) {
      calls.push(`srv:${name}`);
      const answer = world.srv?.[name];
      if (answer instanceof Error) throw answer;
      return answer ?? [];
    },
    random: () => 0,
    ...extra,
  };
  return { deps, calls };
}

const delegate = (server: string, cacheControl?: string): WellKnownResponse => ({
  status: 200,
  body: JSON.stringify({ "m.server": server }),
  cacheControl: cacheControl ?? null,
});
const srv = (name: string, port: number, priority = 10, weight = 0): SrvRecord => ({
  name,
  port,
  priority,
  weight,
});

describe("resolveServer: the spec's steps", () => {
  it("1: an IPv4 literal, with or without port, without any lookup", async () => {
    const { deps, calls } = fake({});
    expect(await resolveServer("1.2.3.4", deps)).toEqual({
      serverName: "1.2.3.4",
      host: "1.2.3.4",
      port: 8448,
      tlsServerName: "1.2.3.4",
      sni: false,
      hostHeader: "1.2.3.4",
      addresses: ["1.2.3.4"],
      step: "1",
    });
    expect(await resolveServer("1.2.3.4:8000", deps)).toMatchObject({
      host: "1.2.3.4",
      port: 8000,
      hostHeader: "1.2.3.4:8000",
      step: "1",
    });
    expect(calls).toEqual([]);
  });

  it("1: an IPv6 literal; Host keeps the brackets, the connect host does not", async () => {
    const { deps } = fake({});
    expect(await resolveServer("[2001:db8::1]", deps)).toMatchObject({
      host: "2001:db8::1",
      port: 8448,
      tlsServerName: "2001:db8::1",
      sni: false,
      hostHeader: "[2001:db8::1]",
      step: "1",
    });
    expect(await resolveServer("[::1]:8449", deps)).toMatchObject({
      host: "::1",
      port: 8449,
      hostHeader: "[::1]:8449",
    });
  });

  it("2: a host name with an explicit port, without .well-known or SRV", async () => {
    const { deps, calls } = fake({ wellKnown: { "example.org": delegate("elsewhere.org") } });
    expect(await resolveServer("example.org:8000", deps)).toEqual({
      serverName: "example.org:8000",
      host: "example.org",
      port: 8000,
      tlsServerName: "example.org",
      sni: true,
      hostHeader: "example.org:8000",
      step: "2",
    });
    expect(calls).toEqual([]);
  });

  it("3.1: delegation to an IP literal, with and without port", async () => {
    const { deps } = fake({
      wellKnown: { "a.org": delegate("5.6.7.8"), "b.org": delegate("[2001:db8::2]:9000") },
    });
    expect(await resolveServer("a.org", deps)).toMatchObject({
      host: "5.6.7.8",
      port: 8448,
      tlsServerName: "5.6.7.8",
      sni: false,
      hostHeader: "5.6.7.8",
      step: "3.1",
    });
    expect(await resolveServer("b.org", deps)).toMatchObject({
      host: "2001:db8::2",
      port: 9000,
      hostHeader: "[2001:db8::2]:9000",
      step: "3.1",
    });
  });

  it("3.2: delegation to a host name with a port, without SRV", async () => {
    const { deps, calls } = fake({ wellKnown: { "example.org": delegate("matrix.example.org:443") } });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "matrix.example.org",
      port: 443,
      tlsServerName: "matrix.example.org",
      sni: true,
      hostHeader: "matrix.example.org:443",
      step: "3.2",
    });
    expect(calls).toEqual(["wk:example.org"]);
  });

  it("3.3: delegation, then _matrix-fed._tcp SRV of the delegated name", async () => {
    const { deps, calls } = fake({
      wellKnown: { "example.org": delegate("matrix.example.org") },
      srv: { "_matrix-fed._tcp.matrix.example.org": [srv("fed1.example.net.", 8449)] },
    });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "fed1.example.net",
      port: 8449,
      tlsServerName: "matrix.example.org",
      sni: true,
      hostHeader: "matrix.example.org",
      step: "3.3",
    });
    expect(calls).toEqual(["wk:example.org", "srv:_matrix-fed._tcp.matrix.example.org"]);
  });

  it("3.4: delegation, then the deprecated _matrix._tcp SRV", async () => {
    const { deps, calls } = fake({
      wellKnown: { "example.org": delegate("matrix.example.org") },
      srv: { "_matrix._tcp.matrix.example.org": [srv("old.example.net", 8450)] },
    });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "old.example.net",
      port: 8450,
      tlsServerName: "matrix.example.org",
      hostHeader: "matrix.example.org",
      step: "3.4",
    });
    expect(calls).toEqual([
      "wk:example.org",
      "srv:_matrix-fed._tcp.matrix.example.org",
      "srv:_matrix._tcp.matrix.example.org",
    ]);
  });

  it("3.3 wins over 3.4", async () => {
    const { deps } = fake({
      wellKnown: { "example.org": delegate("m.example.org") },
      srv: {
        "_matrix-fed._tcp.m.example.org": [srv("new.net", 1)],
        "_matrix._tcp.m.example.org": [srv("old.net", 2)],
      },
    });
    expect(await resolveServer("example.org", deps)).toMatchObject({ host: "new.net", step: "3.3" });
  });

  it("3.5: delegation without SRV: the delegated name on 8448; no SRV of the original name", async () => {
    const { deps, calls } = fake({
      wellKnown: { "example.org": delegate("matrix.example.org") },
      srv: { "_matrix-fed._tcp.example.org": [srv("wrong.net", 1)] },
    });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "matrix.example.org",
      port: 8448,
      tlsServerName: "matrix.example.org",
      hostHeader: "matrix.example.org",
      step: "3.5",
    });
    expect(calls).not.toContain("srv:_matrix-fed._tcp.example.org");
  });

  it("4: no .well-known, then _matrix-fed._tcp SRV of the host name; certificate and Host of the host name", async () => {
    const { deps } = fake({ srv: { "_matrix-fed._tcp.example.org": [srv("fed.example.net", 8443)] } });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "fed.example.net",
      port: 8443,
      tlsServerName: "example.org",
      sni: true,
      hostHeader: "example.org",
      step: "4",
    });
  });

  it("4: further SRV targets become fallbacks, in priority order", async () => {
    const { deps } = fake({
      srv: {
        "_matrix-fed._tcp.example.org": [
          srv("backup.example.net.", 8449, 20),
          srv("main.example.net.", 8448, 10),
        ],
      },
    });
    const resolved = await resolveServer("example.org", deps);
    expect(resolved).toMatchObject({ host: "main.example.net", port: 8448, step: "4" });
    expect(resolved.fallbacks).toEqual([{ host: "backup.example.net", port: 8449 }]);
  });

  it("5: the deprecated _matrix._tcp SRV of the host name", async () => {
    const { deps } = fake({ srv: { "_matrix._tcp.example.org": [srv("legacy.example.net", 8448)] } });
    expect(await resolveServer("example.org", deps)).toMatchObject({
      host: "legacy.example.net",
      tlsServerName: "example.org",
      hostHeader: "example.org",
      step: "5",
    });
  });

  it("6: nothing found: the host name on 8448", async () => {
    const { deps, calls } = fake({});
    expect(await resolveServer("example.org", deps)).toEqual({
      serverName: "example.org",
      host: "example.org",
      port: 8448,
      tlsServerName: "example.org",
      sni: true,
      hostHeader: "example.org",
      step: "6",
    });
    expect(calls).toEqual([
      "wk:example.org",
      "srv:_matrix-fed._tcp.example.org",
      "srv:_matrix._tcp.example.org",
    ]);
  });

  it.each<[string, WellKnownResponse | Error]>([
    ["a network error", new Error("ECONNREFUSED")],
    ["a non-200 status", { status: 500, body: JSON.stringify({ "m.server": "x.org" }) }],
    ["a redirect status left over", { status: 301, body: "" }],
    ["bad JSON", { status: 200, body: "{m.server: x}" }],
    ["a JSON array", { status: 200, body: '["x.org"]' }],
    ["no m.server", { status: 200, body: "{}" }],
    ["a non-string m.server", { status: 200, body: '{"m.server": 1}' }],
    ["an invalid m.server", { status: 200, body: '{"m.server": "bad host!"}' }],
    ["m.server with port 0", { status: 200, body: '{"m.server": "x.org:0"}' }],
    ["m.server with port 65536", { status: 200, body: '{"m.server": "x.org:65536"}' }],
  ])("treats %s from .well-known as an error and goes on with step 4", async (_label, answer) => {
    const { deps } = fake({
      wellKnown: { "example.org": answer },
      srv: { "_matrix-fed._tcp.example.org": [srv("fed.example.net", 8443)] },
    });
    expect(await resolveServer("example.org", deps)).toMatchObject({ host: "fed.example.net", step: "4" });
  });

  it("accepts a .well-known body whatever its content type, and extra properties", () => {
    expect(parseWellKnown({ status: 200, body: '{"m.server":"a.org:1","other":true}' })?.serverName).toBe(
      "a.org:1",
    );
  });

  it("resolves addresses when resolveHost is given", async () => {
    const lookups: string[] = [];
    const { deps } = fake(
      { srv: { "_matrix-fed._tcp.example.org": [srv("fed.example.net", 8443)] } },
      {
        resolveHost: async (h) => {
          lookups.push(h);
          return ["203.0.113.7"];
        },
      },
    );
    expect((await resolveServer("example.org", deps)).addresses).toEqual(["203.0.113.7"]);
    expect((await resolveServer("9.9.9.9", deps)).addresses).toEqual(["9.9.9.9"]);
    expect(lookups).toEqual(["fed.example.net"]);
  });

  it("refuses invalid server names and ports outside 1–65535", async () => {
    const { deps } = fake({});
    for (const name of ["", "bad name", "example.org:0", "example.org:70000", "[::1", "1.2.3.256"]) {
      await expect(resolveServer(name, deps)).rejects.toMatchObject({
        name: "ServerDiscoveryError",
        reason: "invalid-server-name",
      });
    }
  });

  it("fails on DNS failures other than no records", async () => {
    const { deps } = fake({ srv: { "_matrix-fed._tcp.example.org": new Error("SERVFAIL") } });
    const err = await resolveServer("example.org", deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerDiscoveryError);
    expect((err as ServerDiscoveryError).reason).toBe("dns-failure");
    const { deps: d2 } = fake({}, { resolveHost: async () => Promise.reject(new Error("ENOTFOUND")) });
    await expect(resolveServer("example.org", d2)).rejects.toMatchObject({ reason: "dns-failure" });
  });

  it("skips SRV answers whose target is '.' (service not available)", async () => {
    const { deps } = fake({ srv: { "_matrix-fed._tcp.example.org": [srv(".", 0)] } });
    expect(await resolveServer("example.org", deps)).toMatchObject({ host: "example.org", step: "6" });
  });
});

describe("orderSrvRecords", () => {
  const records = [srv("c", 3, 20, 0), srv("a", 1, 10, 10), srv("b", 2, 10, 30), srv("z", 9, 10, 0)];

  it("orders by priority, then by weighted random choice with zero weights first", () => {
    expect(orderSrvRecords(records, () => 0).map((r) => r.name)).toEqual(["z", "a", "b", "c"]);
    // pick = floor(0.99 * 41) = 40 > 10: the first pick lands on b; then among {z, a}, 0.99*11 → a.
    expect(orderSrvRecords(records, () => 0.99).map((r) => r.name)).toEqual(["b", "a", "z", "c"]);
  });

  it("drops '.' targets", () => {
    expect(orderSrvRecords([srv(".", 1), srv("x", 2)], () => 0).map((r) => r.name)).toEqual(["x"]);
  });
});

describe(".well-known caching", () => {
  it("computes lifetimes from Cache-Control with the spec's default and cap", () => {
    expect(wellKnownCacheMs(undefined)).toBe(24 * HOUR);
    expect(wellKnownCacheMs("public")).toBe(24 * HOUR);
    expect(wellKnownCacheMs("max-age=3600")).toBe(HOUR);
    expect(wellKnownCacheMs("public, Max-Age=60")).toBe(60_000);
    expect(wellKnownCacheMs("max-age=999999999")).toBe(48 * HOUR);
    expect(wellKnownCacheMs("no-store")).toBe(0);
    expect(wellKnownCacheMs("max-age=600, no-cache")).toBe(0);
  });

  it("caches a delegation for max-age, then fetches again", async () => {
    let t = 0;
    const { deps, calls } = fake(
      { wellKnown: { "example.org": delegate("m.example.org:1", "max-age=60") } },
      { now: () => t, cache: new WellKnownCache() },
    );
    await resolveServer("example.org", deps);
    t = 59_999;
    await resolveServer("example.org", deps);
    expect(calls).toEqual(["wk:example.org"]);
    t = 60_000;
    await resolveServer("example.org", deps);
    expect(calls).toEqual(["wk:example.org", "wk:example.org"]);
  });

  it("does not cache a response marked no-store", async () => {
    const { deps, calls } = fake(
      { wellKnown: { "example.org": delegate("m.example.org:1", "no-store") } },
      { now: () => 0, cache: new WellKnownCache() },
    );
    await resolveServer("example.org", deps);
    await resolveServer("example.org", deps);
    expect(calls).toEqual(["wk:example.org", "wk:example.org"]);
  });

  it("caches errors, backing off exponentially up to an hour, and resets on success", async () => {
    let t = 0;
    const world: World = {};
    const cache = new WellKnownCache();
    const { deps, calls } = fake(world, { now: () => t, cache });
    const fetches = () => calls.filter((c) => c.startsWith("wk:")).length;
    const expected = [5, 10, 20, 40, 60, 60].map((m) => m * 60 * 1000);
    for (const [i, backoff] of expected.entries()) {
      await resolveServer("example.org", deps);
      expect(fetches()).toBe(i + 1);
      t += backoff - 1;
      await resolveServer("example.org", deps);
      expect(fetches()).toBe(i + 1);
      t += 1;
    }
    world.wellKnown = { "example.org": delegate("m.example.org:1") };
    expect(await resolveServer("example.org", deps)).toMatchObject({ step: "3.2" });
    expect(cache.failures("example.org")).toBe(0);
    expect(WELL_KNOWN_CACHE.errorMaxMs).toBe(HOUR);
  });

  it("bounds the cache", () => {
    const cache = new WellKnownCache(2);
    for (const h of ["a", "b", "c"]) cache.set(h, { delegated: undefined, expiresAt: 10, failures: 1 });
    expect(cache.get("a", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBeDefined();
    expect(cache.get("c", 10)).toBeUndefined();
    cache.clear();
    expect(cache.get("b", 0)).toBeUndefined();
  });

  it("createServerResolver brings its own cache", async () => {
    const { deps, calls } = fake(
      { wellKnown: { "example.org": delegate("m.example.org:1") } },
      { now: () => 0 },
    );
    const resolve = createServerResolver(deps);
    await resolve("example.org");
    await resolve("example.org");
    expect(calls).toEqual(["wk:example.org"]);
  });
});

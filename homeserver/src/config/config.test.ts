import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildConfig, ConfigError, invocationDir, loadConfig } from "./config.js";

describe("config", () => {
  it("has embedded defaults: localhost, 127.0.0.1:8008, open registration", () => {
    const c = buildConfig({}, {});
    expect(c.serverName).toBe("localhost");
    expect(c.bind).toEqual({ host: "127.0.0.1", port: 8008 });
    expect(c.dataDir).toBe(resolve(process.cwd(), "hearth-data"));
    expect(c.registration).toBe("open");
    expect(c.rateLimits).toBeDefined();
    expect(c.defaultRoomVersion).toBe("11");
    expect(c.publicBaseUrl).toBe("http://127.0.0.1:8008");
  });

  it("closes registration by default for other server names", () => {
    expect(buildConfig({ server_name: "example.org" }, {}).registration).toBe("closed");
  });

  it("allows guests by default exactly when registration is open", () => {
    expect(buildConfig({}, {}).allowGuestAccess).toBe(true);
    expect(buildConfig({ server_name: "example.org" }, {}).allowGuestAccess).toBe(false);
    expect(buildConfig({ registration: "token" }, {}).allowGuestAccess).toBe(false);
    expect(buildConfig({ server_name: "example.org", registration: "open" }, {}).allowGuestAccess).toBe(true);
    expect(buildConfig({ allow_guest_access: false }, {}).allowGuestAccess).toBe(false);
    expect(
      buildConfig({ server_name: "example.org" }, { HEARTH_ALLOW_GUEST_ACCESS: "true" }).allowGuestAccess,
    ).toBe(true);
    expect(() => buildConfig({ allow_guest_access: "maybe" }, {})).toThrow(/allow_guest_access/);
  });

  it("lets environment variables override the file", () => {
    const c = buildConfig(
      { server_name: "file.org", bind: "0.0.0.0:1" },
      {
        HEARTH_SERVER_NAME: "env.org",
        HEARTH_BIND: "[::1]:9000",
        HEARTH_DATA_DIR: "/tmp/x",
        HEARTH_REGISTRATION: "token",
        HEARTH_REGISTRATION_SHARED_SECRET: "0123456789abcdef0",
        HEARTH_RATE_LIMITS: "off",
        HEARTH_LOG_LEVEL: "warn",
      },
    );
    expect(c).toMatchObject({
      serverName: "env.org",
      bind: { host: "::1", port: 9000 },
      dataDir: "/tmp/x",
      registration: "token",
      registrationSharedSecret: "0123456789abcdef0",
      rateLimits: undefined,
      logLevel: "warn",
    });
  });

  it("reads federation settings; the listener needs a certificate", () => {
    const c = buildConfig(
      {},
      {
        HEARTH_FEDERATION_BIND: "127.0.0.2:8448",
        HEARTH_TLS_CERT: "/c.pem",
        HEARTH_TLS_KEY: "/k.pem",
        HEARTH_FEDERATION_VERIFY_TLS: "false",
        HEARTH_FEDERATION_CA: "/ca.pem",
        HEARTH_FEDERATION_ALLOW_PRIVATE: "true",
      },
    );
    expect(c.federation).toEqual({
      bind: { host: "127.0.0.2", port: 8448 },
      tlsCert: "/c.pem",
      tlsKey: "/k.pem",
      verifyTls: false,
      caFile: "/ca.pem",
      allowPrivate: true,
    });
    expect(buildConfig({}, {}).federation).toMatchObject({
      bind: undefined,
      verifyTls: true,
      allowPrivate: false,
    });
  });

  it("resolves relative paths from where npm was invoked (INIT_CWD), else the working directory", () => {
    const file = { data_dir: "data", tls_cert: "t/c.pem", tls_key: "../k.pem", federation_ca: "/etc/ca.pem" };
    expect(buildConfig(file, { INIT_CWD: "/home/me/site" })).toMatchObject({
      dataDir: "/home/me/site/data",
      federation: { tlsCert: "/home/me/site/t/c.pem", tlsKey: "/home/me/k.pem", caFile: "/etc/ca.pem" },
    });
    expect(buildConfig({}, { INIT_CWD: "/srv", HEARTH_DATA_DIR: "./hs" }).dataDir).toBe("/srv/hs");
    expect(buildConfig({ data_dir: "data" }, {}).dataDir).toBe(resolve(process.cwd(), "data"));
    expect(invocationDir({ INIT_CWD: "relative/nonsense" })).toBe(process.cwd());
  });

  it.each([
    [{ federation_bind: "127.0.0.1:8448" }, "tls_cert"],
    [{ federation_verify_tls: "maybe" }, "federation_verify_tls"],
    [{ server_name: "bad name" }, "server_name"],
    [{ bind: "nope" }, "bind"],
    [{ bind: "127.0.0.1:70000" }, "bind"],
    [{ registration: "maybe" }, "registration"],
    [{ registration_shared_secret: "short" }, "registration_shared_secret"],
    [{ rate_limits: "sometimes" }, "rate_limits"],
    [{ rate_limits: { login: { perSecond: 0, burst: 1 } } }, "rate_limits.login"],
    [{ log_level: "loud" }, "log_level"],
    [{ default_room_version: "99" }, "default_room_version"],
    [{ max_request_bytes: 10 }, "max_request_bytes"],
    [{ surprise: 1 }, "surprise"],
  ])("refuses %j naming the key", (file, key) => {
    expect(() => buildConfig(file as Record<string, unknown>, {})).toThrow(ConfigError);
    try {
      buildConfig(file as Record<string, unknown>, {});
    } catch (e) {
      expect((e as ConfigError).key).toBe(key);
      expect((e as Error).message).toContain(key);
    }
  });

  it("reads gossip settings, and refuses bad combinations naming the key", () => {
    const fed = { federation_bind: "127.0.0.2:8448", tls_cert: "/c", tls_key: "/k" };
    expect(buildConfig({}, {}).gossip.mode).toBe("off");
    const c = buildConfig({ ...fed }, { HEARTH_GOSSIP: "preferred", HEARTH_GOSSIP_BIND: "127.0.0.2:9000" });
    expect(c.gossip).toMatchObject({
      mode: "preferred",
      bind: { host: "127.0.0.2", port: 9000 },
      announce: [{ host: "127.0.0.2", port: 9000 }],
      meshDegree: 6,
      repairIntervalMs: 10_000,
    });
    const behindProxy = buildConfig(
      {
        ...fed,
        gossip: "alongside",
        gossip_bind: "0.0.0.0:9000",
        gossip_announce: "hs1:9000, 10.0.0.1:19000",
      },
      {},
    );
    expect(behindProxy.gossip.announce).toEqual([
      { host: "hs1", port: 9000 },
      { host: "10.0.0.1", port: 19000 },
    ]);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ gossip: "preferred", gossip_bind: "127.0.0.2:9000" }, "gossip"],
      [{ ...fed, gossip: "yes" }, "gossip"],
      [{ ...fed, gossip: "preferred" }, "gossip_bind"],
      [{ ...fed, gossip: "preferred", gossip_bind: "127.0.0.2:8448" }, "gossip_bind"],
      [{ ...fed, gossip: "preferred", gossip_bind: "0.0.0.0:9000" }, "gossip_announce"],
      [{ ...fed, gossip: "preferred", gossip_bind: "127.0.0.2:0" }, "gossip_announce"],
      [
        { ...fed, gossip: "preferred", gossip_bind: "127.0.0.2:9000", gossip_announce: "0.0.0.0:9000" },
        "gossip_announce",
      ],
      [
        { ...fed, gossip: "preferred", gossip_bind: "127.0.0.2:9000", gossip_mesh_degree: 0 },
        "gossip_mesh_degree",
      ],
      [{ ...fed, gossip_repair_interval_ms: 5 }, "gossip_repair_interval_ms"],
      [{ metrics_bind: "nope" }, "metrics_bind"],
    ];
    for (const [file, key] of bad) {
      expect(() => buildConfig(file, {}), key).toThrow(new RegExp(`^Invalid configuration: ${key}:`));
    }
  });

  it("reads ws_sync (on by default), from the file or HEARTH_WS_SYNC, and refuses other values", () => {
    expect(buildConfig({}, {}).wsSync).toBe(true);
    expect(buildConfig({ ws_sync: "off" }, {}).wsSync).toBe(false);
    expect(buildConfig({ ws_sync: false }, {}).wsSync).toBe(false);
    expect(buildConfig({ ws_sync: "off" }, { HEARTH_WS_SYNC: "on" }).wsSync).toBe(true);
    expect(buildConfig({}, { HEARTH_WS_SYNC: "off" }).wsSync).toBe(false);
    expect(() => buildConfig({ ws_sync: "sometimes" }, {})).toThrow(/^Invalid configuration: ws_sync:/);
  });

  it("reads web_client (on by default), from the file or HEARTH_WEB_CLIENT, and refuses other values", () => {
    expect(buildConfig({}, {}).webClient).toBe(true);
    expect(buildConfig({ web_client: "off" }, {}).webClient).toBe(false);
    expect(buildConfig({ web_client: "off" }, { HEARTH_WEB_CLIENT: "on" }).webClient).toBe(true);
    expect(buildConfig({}, { HEARTH_WEB_CLIENT: "off" }).webClient).toBe(false);
    expect(() => buildConfig({ web_client: "maybe" }, {})).toThrow(/^Invalid configuration: web_client:/);
  });

  it("loads YAML files, and the example file is valid", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hearth-config-"));
    const path = join(dir, "hearth.yaml");
    await writeFile(path, "server_name: example.org\nbind: 127.0.0.1:9999\nregistration: open\n");
    expect(loadConfig(path, {})).toMatchObject({
      serverName: "example.org",
      bind: { port: 9999 },
      registration: "open",
    });
    await writeFile(path, "- a list\n");
    expect(() => loadConfig(path, {})).toThrow(/YAML map/);
    expect(() => loadConfig(join(dir, "missing.yaml"), {})).toThrow(ConfigError);
    await writeFile(path, "data_dir: data\n");
    expect(loadConfig("hearth.yaml", { INIT_CWD: dir }).dataDir).toBe(join(dir, "data"));
    expect(() => loadConfig("missing.yaml", { INIT_CWD: dir })).toThrow(join(dir, "missing.yaml"));
    await rm(dir, { recursive: true });
    const example = loadConfig(new URL("../../hearth.example.yaml", import.meta.url).pathname, {});
    expect(example.serverName).toBe("localhost");
    expect(example.wsSync).toBe(true);
    expect(example.webClient).toBe(true);
  });
});

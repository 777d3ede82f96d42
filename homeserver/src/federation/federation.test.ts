/**
 * The federation listener end to end: a real HTTPS listener (certificate from a test CA), remote
 * servers with their own keys (IP-literal server names, so discovery needs no DNS), and requests sent
 * with the real signed client over the Node transport.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildServerKeys,
  createFederationClient,
  createNodeTransport,
  type FederationClient,
  FederationRequestError,
  generateSigningKey,
  type Pdu,
  type SigningKey,
  signEvent,
  verifyNotaryResponse,
  verifyServerKeys,
} from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectoryService } from "../services/rooms/directory-service.js";
import { accountStorage } from "../storage/accounts.js";
import { DirectoryStore } from "../storage/directory.js";
import { type Client, registerUser, startTestServer, type TestServer } from "../testing/harness.js";
import { type FederationModule, federationModule } from "./module.js";
import { type CertificateAndKey, createLeafCertificate, createTestCa } from "./tls.js";

interface KeyServer {
  readonly name: string;
  readonly key: SigningKey;
  hits: number;
  failing: boolean;
  close(): Promise<void>;
}

/** A remote server that only publishes its keys, on an IP-literal server name. */
async function startKeyServer(leaf: CertificateAndKey, host = "127.0.0.1"): Promise<KeyServer> {
  const key = generateSigningKey("ed25519:remote");
  let name = "";
  const state: KeyServer = {
    get name() {
      return name;
    },
    key,
    hits: 0,
    failing: false,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    state.hits++;
    if (state.failing || req.url !== "/_matrix/key/v2/server") {
      res.writeHead(500, { "content-type": "application/json" }).end('{"errcode":"M_UNKNOWN"}');
      return;
    }
    const body = buildServerKeys({ serverName: name, key, validUntilTs: Date.now() + 86_400_000 });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  server.keepAliveTimeout = 100;
  name = `${host}:${(server.address() as AddressInfo).port}`;
  return state;
}

let dir: string;
let ca: CertificateAndKey;
let server: TestServer;
let fed: FederationModule;
let port: number;
let remote: KeyServer;
let stranger: KeyServer;
let alice: Client & { userId: string };
let roomId: string;
const messages: string[] = [];

function clientFor(origin: string, key: SigningKey, destinationPort = () => port): FederationClient {
  return createFederationClient({
    origin,
    key,
    fetch: createNodeTransport({ allowPrivateAddresses: true, ca: ca.cert }),
    resolve: async (serverName) => ({
      serverName,
      host: "127.0.0.1",
      port: destinationPort(),
      tlsServerName: "localhost",
      sni: true,
      hostHeader: "localhost",
      step: "2",
    }),
    timeoutMs: 10_000,
  });
}

async function status(p: Promise<unknown>): Promise<[number, string | undefined]> {
  try {
    await p;
    return [200, undefined];
  } catch (e) {
    if (e instanceof FederationRequestError) return [e.status, e.errcode];
    throw e;
  }
}

/** Joins a remote user to `room` through the pipeline, as an inbound join would. */
async function joinRemote(
  room: string,
  userId: string,
  key: SigningKey,
  serverName: string,
): Promise<string> {
  const { pipeline } = server.services;
  const { event, roomVersion } = await pipeline.template(room, {
    type: "m.room.member",
    sender: userId,
    state_key: userId,
    content: { membership: "join" },
  });
  const signed = signEvent(event, serverName, key, roomVersion) as unknown as Pdu;
  const result = await pipeline.persistRemote(room, roomVersion, signed);
  expect(result.outcome).toBe("accepted");
  return result.eventId;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-fed-"));
  ca = createTestCa();
  const leaf = createLeafCertificate(ca, ["localhost", "127.0.0.1", "127.0.0.2"]);
  await writeFile(join(dir, "tls.crt"), leaf.cert);
  await writeFile(join(dir, "tls.key"), leaf.key);
  await writeFile(join(dir, "ca.pem"), ca.cert);
  remote = await startKeyServer(leaf);
  stranger = await startKeyServer(leaf, "127.0.0.2");
  server = await startTestServer({
    federation_bind: "127.0.0.1:0",
    tls_cert: join(dir, "tls.crt"),
    tls_key: join(dir, "tls.key"),
    federation_ca: join(dir, "ca.pem"),
    federation_allow_private: true,
  });
  const { context, services } = server;
  const directory = new DirectoryStore(context.db);
  const storage = accountStorage(context.db);
  const directoryService = new DirectoryService({
    serverName: context.config.serverName,
    db: context.db,
    directory,
    rooms: services.roomStore,
    events: services.events,
    isAdmin: async () => false,
  });
  fed = await federationModule({
    ...context,
    events: services.events,
    rooms: services.roomStore,
    stateGroups: services.stateGroups,
    directory,
    publicRooms: (o) => directoryService.publicRooms(o),
    profiles: {
      getProfile: async (userId) =>
        (await storage.accounts.get(userId)) ? ((await storage.profiles.get(userId)) ?? {}) : undefined,
    },
    devices: {
      listDevices: async (userId) =>
        (await storage.devices.list(userId)).map((d) => ({ device_id: d.deviceId })),
    },
    keyOptions: { minBackoffMs: 60_000, refetchIntervalMs: 0, fetchTimeoutMs: 5_000 },
  });
  port = (await fed.start())!.port;

  alice = await registerUser(server, "alice");
  await alice.put("/_matrix/client/v3/profile/@alice:localhost/displayname", { displayname: "Alice" });
  const created = await alice.post("/_matrix/client/v3/createRoom", {
    preset: "public_chat",
    room_alias_name: "fed",
    visibility: "public",
  });
  roomId = created.body.room_id as string;
  for (let i = 0; i < 3; i++) {
    const sent = await alice.put(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${i}`,
      { msgtype: "m.text", body: `hello ${i}` },
    );
    messages.push(sent.body.event_id as string);
  }
  messages.push(await joinRemote(roomId, `@bob:${remote.name}`, remote.key, remote.name));
}, 60_000);

afterAll(async () => {
  await fed?.stop();
  await server?.destroy();
  await remote?.close();
  await stranger?.close();
  await rm(dir, { recursive: true, force: true });
});

const enc = encodeURIComponent;

describe("federation listener: authentication and routing", () => {
  it("serves /version and our keys without authentication", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ server: { name: string } }>(
      "localhost",
      "GET",
      "/_matrix/federation/v1/version",
    );
    expect(json.server.name).toBe("Hearth");
    const keys = await c.fetchServerKeys("localhost");
    expect(keys.verifyKeys.has(server.context.signingKey.keyId)).toBe(true);
    expect(keys.raw.valid_until_ts).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it("accepts a request signed by a remote whose keys it fetches", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ room_id: string }>(
      "localhost",
      "GET",
      "/_matrix/federation/v1/query/directory",
      {
        query: { room_alias: "#fed:localhost" },
      },
    );
    expect(json.room_id).toBe(roomId);
  });

  it("refuses missing, bad and misdirected signatures with 401 M_UNAUTHORIZED", async () => {
    const fetch = createNodeTransport({ allowPrivateAddresses: true, ca: ca.cert });
    const target = {
      host: "127.0.0.1",
      port,
      tlsServerName: "localhost",
      sni: true,
      hostHeader: "localhost",
    };
    const path = "/_matrix/federation/v1/query/directory?room_alias=%23fed%3Alocalhost";
    const unsigned = await fetch({
      url: `https://127.0.0.1:${port}${path}`,
      method: "GET",
      path,
      headers: { host: "localhost" },
      target,
    });
    expect(unsigned.status).toBe(401);
    expect(JSON.parse(await unsigned.text()).errcode).toBe("M_UNAUTHORIZED");

    // Signed with a key that is not the remote's published key.
    const impostor = clientFor(remote.name, generateSigningKey("ed25519:remote"));
    expect(
      await status(
        impostor.request("localhost", "GET", "/_matrix/federation/v1/query/directory", {
          query: { room_alias: "#fed:localhost" },
        }),
      ),
    ).toEqual([401, "M_UNAUTHORIZED"]);
    // Signed for another destination.
    const c = clientFor(remote.name, remote.key);
    expect(
      await status(
        c.request("elsewhere.test", "GET", "/_matrix/federation/v1/query/directory", {
          query: { room_alias: "#fed:localhost" },
        }),
      ),
    ).toEqual([401, "M_UNAUTHORIZED"]);
    // An origin whose keys cannot be fetched.
    const ghost = clientFor("127.0.0.1:1", generateSigningKey("ed25519:x"));
    expect(
      await status(
        ghost.request("localhost", "GET", "/_matrix/federation/v1/query/directory", {
          query: { room_alias: "#fed:localhost" },
        }),
      ),
    ).toEqual([401, "M_UNAUTHORIZED"]);
  });

  it("checks the signature over the body and the raw request target", async () => {
    const c = clientFor(remote.name, remote.key);
    // Query strings are signed as sent: a percent-encoded alias verifies.
    const { json } = await c.request<{ room_id: string }>(
      "localhost",
      "GET",
      "/_matrix/federation/v1/query/directory",
      {
        query: { room_alias: "#fed:localhost" },
      },
    );
    expect(json.room_id).toBe(roomId);
    const res = await c.request<{ device_keys: Record<string, unknown> }>(
      "localhost",
      "POST",
      "/_matrix/federation/v1/user/keys/query",
      {
        body: { device_keys: { "@alice:localhost": [] } },
      },
    );
    expect(res.json.device_keys).toEqual({ "@alice:localhost": {} });
  });

  it("answers unknown endpoints 404 and wrong methods 405, M_UNRECOGNIZED", async () => {
    const c = clientFor(remote.name, remote.key);
    expect(await status(c.request("localhost", "GET", "/_matrix/federation/v1/nonsense"))).toEqual([
      404,
      "M_UNRECOGNIZED",
    ]);
    expect(await status(c.request("localhost", "DELETE", "/_matrix/federation/v1/version"))).toEqual([
      405,
      "M_UNRECOGNIZED",
    ]);
  });
});

describe("notary", () => {
  it("serves a remote's keys signed by the remote and by us", async () => {
    const c = clientFor(stranger.name, stranger.key);
    const result = await c.queryNotaryKeys("localhost", { [remote.name]: [] });
    expect(result.failures).toEqual([]);
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]!.verifyKeys.get("ed25519:remote")!.publicKey).toEqual(remote.key.publicKey);

    const { json } = await c.request("localhost", "GET", `/_matrix/key/v2/query/${enc(remote.name)}`);
    const own = await c.fetchServerKeys("localhost");
    const checked = verifyNotaryResponse(json, {
      notary: "localhost",
      notaryKeys: own.verifyKeys,
      servers: [remote.name],
      now: Date.now(),
    });
    expect(checked.keys).toHaveLength(1);
  });

  it("serves our own keys, and nothing for unreachable servers", async () => {
    const c = clientFor(stranger.name, stranger.key);
    const { json } = await c.request<{ server_keys: unknown[] }>(
      "localhost",
      "POST",
      "/_matrix/key/v2/query",
      {
        body: { server_keys: { localhost: {}, "127.0.0.1:1": {} } },
      },
    );
    expect(json.server_keys).toHaveLength(1);
    verifyServerKeys(json.server_keys[0], "localhost", Date.now());
  });
});

describe("room endpoints", () => {
  const latest = () => messages[messages.length - 1]!;

  it("serves an event to a server in the room, 403 to others", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ origin: string; pdus: Pdu[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/event/${enc(messages[0]!)}`,
    );
    expect(json.origin).toBe("localhost");
    expect(json.pdus).toHaveLength(1);
    expect(json.pdus[0]!.content).toEqual({ msgtype: "m.text", body: "hello 0" });
    expect(json.pdus[0]).not.toHaveProperty("event_id");
    expect(json.pdus[0]).not.toHaveProperty("unsigned");
    const other = clientFor(stranger.name, stranger.key);
    expect(
      await status(other.request("localhost", "GET", `/_matrix/federation/v1/event/${enc(messages[0]!)}`)),
    ).toEqual([403, "M_FORBIDDEN"]);
    expect(
      await status(c.request("localhost", "GET", `/_matrix/federation/v1/event/${enc("$nope")}`)),
    ).toEqual([404, "M_NOT_FOUND"]);
  });

  it("serves the state before an event with its auth chain (state and state_ids)", async () => {
    const c = clientFor(remote.name, remote.key);
    const ids = await c.request<{ pdu_ids: string[]; auth_chain_ids: string[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/state_ids/${enc(roomId)}`,
      {
        query: { event_id: latest() },
      },
    );
    const ev = (await server.services.events.get(latest()))!;
    const before = await server.services.stateGroups.state(ev.stateGroupBefore);
    expect(new Set(ids.json.pdu_ids)).toEqual(new Set(before.values()));
    // The remote's join is the event asked about: not in the state before it.
    expect(ids.json.pdu_ids).not.toContain(latest());
    const create = before.get(JSON.stringify(["m.room.create", ""]))!;
    expect(ids.json.auth_chain_ids).toContain(create);

    const full = await c.request<{ pdus: Pdu[]; auth_chain: Pdu[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/state/${enc(roomId)}`,
      {
        query: { event_id: latest() },
      },
    );
    expect(full.json.pdus).toHaveLength(ids.json.pdu_ids.length);
    expect(full.json.auth_chain).toHaveLength(ids.json.auth_chain_ids.length);

    const other = clientFor(stranger.name, stranger.key);
    expect(
      await status(
        other.request("localhost", "GET", `/_matrix/federation/v1/state_ids/${enc(roomId)}`, {
          query: { event_id: latest() },
        }),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
    expect(
      await status(c.request("localhost", "GET", `/_matrix/federation/v1/state_ids/${enc(roomId)}`)),
    ).toEqual([400, "M_MISSING_PARAM"]);
    expect(
      await status(
        c.request("localhost", "GET", `/_matrix/federation/v1/state_ids/${enc(roomId)}`, {
          query: { event_id: "$unknown" },
        }),
      ),
    ).toEqual([404, "M_NOT_FOUND"]);
  });

  it("serves an event's auth chain", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ auth_chain: Pdu[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(messages[0]!)}`,
    );
    expect(json.auth_chain.map((e) => e.type)).toContain("m.room.create");
    const other = clientFor(stranger.name, stranger.key);
    expect(
      await status(
        other.request(
          "localhost",
          "GET",
          `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(messages[0]!)}`,
        ),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
  });

  it("backfills newest first, including the given event, up to the limit", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ pdus: Pdu[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/backfill/${enc(roomId)}`,
      {
        query: { v: [messages[2]!], limit: 3 },
      },
    );
    expect(json.pdus).toHaveLength(3);
    expect(json.pdus.map((p) => (p.content as { body?: string }).body)).toEqual([
      "hello 2",
      "hello 1",
      "hello 0",
    ]);
    const other = clientFor(stranger.name, stranger.key);
    expect(
      await status(
        other.request("localhost", "GET", `/_matrix/federation/v1/backfill/${enc(roomId)}`, {
          query: { v: [messages[2]!], limit: 3 },
        }),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
  });

  it("returns missing events oldest first, excluding latest and earliest events", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ events: Pdu[] }>(
      "localhost",
      "POST",
      `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`,
      {
        body: { earliest_events: [messages[0]!], latest_events: [latest()], limit: 10 },
      },
    );
    expect(json.events.map((p) => (p.content as { body?: string }).body)).toEqual(["hello 1", "hello 2"]);
    const other = clientFor(stranger.name, stranger.key);
    expect(
      await status(
        other.request("localhost", "POST", `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, {
          body: { earliest_events: [], latest_events: [latest()] },
        }),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
  });

  it("redacts events a server may not see under history visibility", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      initial_state: [
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } },
      ],
    });
    const room = created.body.room_id as string;
    const secret = await alice.put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/s1`, {
      msgtype: "m.text",
      body: "secret",
    });
    await joinRemote(room, `@bob:${remote.name}`, remote.key, remote.name);
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ pdus: Pdu[] }>(
      "localhost",
      "GET",
      `/_matrix/federation/v1/event/${enc(secret.body.event_id as string)}`,
    );
    expect(json.pdus[0]!.content).toEqual({});
    expect(json.pdus[0]!.hashes).toBeDefined();
  });
});

describe("queries, directory, devices", () => {
  it("resolves our aliases with the servers in the room", async () => {
    const c = clientFor(remote.name, remote.key);
    const { json } = await c.request<{ room_id: string; servers: string[] }>(
      "localhost",
      "GET",
      "/_matrix/federation/v1/query/directory",
      {
        query: { room_alias: "#fed:localhost" },
      },
    );
    expect(json).toEqual({ room_id: roomId, servers: ["localhost", remote.name] });
    expect(
      await status(
        c.request("localhost", "GET", "/_matrix/federation/v1/query/directory", {
          query: { room_alias: "#nope:localhost" },
        }),
      ),
    ).toEqual([404, "M_NOT_FOUND"]);
  });

  it("serves profiles and single profile fields", async () => {
    const c = clientFor(remote.name, remote.key);
    const path = "/_matrix/federation/v1/query/profile";
    expect(
      (await c.request("localhost", "GET", path, { query: { user_id: "@alice:localhost" } })).json,
    ).toEqual({ displayname: "Alice" });
    expect(
      (
        await c.request("localhost", "GET", path, {
          query: { user_id: "@alice:localhost", field: "displayname" },
        })
      ).json,
    ).toEqual({ displayname: "Alice" });
    expect(
      (
        await c.request("localhost", "GET", path, {
          query: { user_id: "@alice:localhost", field: "avatar_url" },
        })
      ).json,
    ).toEqual({});
    expect(
      await status(c.request("localhost", "GET", path, { query: { user_id: "@nobody:localhost" } })),
    ).toEqual([404, "M_NOT_FOUND"]);
  });

  it("serves the public room directory (GET and POST)", async () => {
    const c = clientFor(remote.name, remote.key);
    const got = await c.request<{ chunk: Array<{ room_id: string }> }>(
      "localhost",
      "GET",
      "/_matrix/federation/v1/publicRooms",
      { query: { limit: 10 } },
    );
    expect(got.json.chunk.map((r) => r.room_id)).toContain(roomId);
    const posted = await c.request<{ chunk: Array<{ room_id: string }> }>(
      "localhost",
      "POST",
      "/_matrix/federation/v1/publicRooms",
      {
        body: { limit: 10, filter: { generic_search_term: "fed" } },
      },
    );
    expect(posted.json.chunk.map((r) => r.room_id)).toEqual([roomId]);
  });

  it("serves devices (none with keys yet) and empty key answers", async () => {
    const c = clientFor(remote.name, remote.key);
    const devices = await c.request(
      "localhost",
      "GET",
      `/_matrix/federation/v1/user/devices/${enc("@alice:localhost")}`,
    );
    expect(devices.json).toEqual({ user_id: "@alice:localhost", stream_id: 0, devices: [] });
    const claim = await c.request("localhost", "POST", "/_matrix/federation/v1/user/keys/claim", {
      body: { one_time_keys: { "@alice:localhost": { DEV: "signed_curve25519" } } },
    });
    expect(claim.json).toEqual({ one_time_keys: {} });
  });
});

describe("remote key cache", () => {
  it("makes prefetched keys available synchronously", async () => {
    const signed = signEvent(
      {
        type: "m.room.message",
        sender: `@bob:${remote.name}`,
        room_id: roomId,
        content: {},
        origin_server_ts: Date.now(),
        depth: 1,
        prev_events: [],
        auth_events: [],
      },
      remote.name,
      remote.key,
      "11",
    );
    await fed.keys.prefetchForEvents([signed], "11");
    expect(fed.keys.lookupSync(remote.name, "ed25519:remote")?.publicKey).toEqual(remote.key.publicKey);
    expect(fed.keys.lookupSync("localhost", server.context.signingKey.keyId)).toBeDefined();
  });

  it("backs off from a failing server", async () => {
    const flaky = await startKeyServer(createLeafCertificate(ca, ["127.0.0.1"]));
    flaky.failing = true;
    try {
      expect(await fed.keys.lookup(flaky.name, "ed25519:remote")).toBeUndefined();
      const hits = flaky.hits;
      expect(hits).toBeGreaterThan(0);
      expect(await fed.keys.lookup(flaky.name, "ed25519:remote")).toBeUndefined();
      expect(flaky.hits).toBe(hits);
    } finally {
      await flaky.close();
    }
  });
});

describe("server ACLs", () => {
  it("refuses a denied server on room endpoints even while it is joined", async () => {
    const res = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl/`, {
      allow: ["*"],
      deny: ["127.0.0.1"],
    });
    expect(res.status).toBe(200);
    const c = clientFor(remote.name, remote.key);
    expect(
      await status(
        c.request("localhost", "GET", `/_matrix/federation/v1/state_ids/${enc(roomId)}`, {
          query: { event_id: messages[0]! },
        }),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
    expect(
      await status(c.request("localhost", "GET", `/_matrix/federation/v1/event/${enc(messages[0]!)}`)),
    ).toEqual([403, "M_FORBIDDEN"]);
    expect(
      await status(
        c.request("localhost", "GET", `/_matrix/federation/v1/backfill/${enc(roomId)}`, {
          query: { v: [messages[0]!], limit: 1 },
        }),
      ),
    ).toEqual([403, "M_FORBIDDEN"]);
  });
});

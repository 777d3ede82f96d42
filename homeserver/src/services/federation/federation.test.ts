// Two real servers in one process, each with its TLS federation listener (a test CA), talking over
// 127.0.0.1 by IP-literal server names: joins, messages both ways, aliases, invites.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeafCertificate, createTestCa } from "../../federation/tls.js";
import { type Client, registerUser, startTestServer, type TestServer } from "../../testing/harness.js";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let dir: string;
let caPem: string;
const servers: TestServer[] = [];
let alice: Client & { userId: string; deviceId: string };
let bob: Client & { userId: string; deviceId: string };
const enc = encodeURIComponent;

async function federatedServer(
  caFile: string,
  ca: Awaited<ReturnType<typeof createTestCa>>,
  host = "127.0.0.1",
): Promise<TestServer> {
  const port = await freePort();
  const leaf = await createLeafCertificate(ca, [host]);
  const certFile = join(dir, `${port}.crt`);
  const keyFile = join(dir, `${port}.key`);
  await writeFile(certFile, leaf.cert);
  await writeFile(keyFile, leaf.key);
  return startTestServer({
    log_level: process.env.FED_LOG ?? "silent",
    server_name: `${host}:${port}`,
    registration: "open",
    federation_bind: `${host}:${port}`,
    tls_cert: certFile,
    tls_key: keyFile,
    federation_ca: caFile,
    federation_allow_private: true,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-fed-"));
  const ca = await createTestCa();
  caPem = ca.cert;
  const caFile = join(dir, "ca.pem");
  await writeFile(caFile, ca.cert);
  servers.push(await federatedServer(caFile, ca), await federatedServer(caFile, ca, "127.0.0.2"));
  alice = await registerUser(servers[0]!, "alice");
  bob = await registerUser(servers[1]!, "bob");
}, 30_000);
afterAll(async () => {
  for (const s of servers) await s.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function waitFor<T>(f: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function bodies(c: Client, roomId: string): Promise<string[]> {
  const res = await c.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  return (res.body.chunk ?? [])
    .filter((e: { type: string }) => e.type === "m.room.message")
    .map((e: { content: { body: string } }) => e.content.body)
    .reverse();
}

/** A private room of alice's that bob is invited to, and bob's first sync that shows the invite. */
async function privateRoomInvitingBob(): Promise<{ roomId: string; sync: Record<string, any> }> {
  const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" });
  const roomId = created.body.room_id as string;
  const invited = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
  expect(invited.status, JSON.stringify(invited.body)).toBe(200);
  const sync = await waitFor(async () => {
    const s = await bob.get("/_matrix/client/v3/sync");
    return s.body.rooms?.invite?.[roomId] ? s.body : undefined;
  });
  return { roomId, sync };
}

describe("federation between two Hearth servers", () => {
  it("joins a room on another server by alias and exchanges messages both ways", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      room_alias_name: "town",
    });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    const alias = `#town:${servers[0]!.config.serverName}`;
    const joined = await bob.post(`/_matrix/client/v3/join/${enc(alias)}`);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body.room_id).toBe(roomId);

    const a1 = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/a1`, {
      msgtype: "m.text",
      body: "from alice",
    });
    expect(a1.status, JSON.stringify(a1.body)).toBe(200);
    const b1 = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b1`, {
      msgtype: "m.text",
      body: "from bob",
    });
    expect(b1.status, JSON.stringify(b1.body)).toBe(200);

    await waitFor(async () => ((await bodies(bob, roomId)).includes("from alice") ? true : undefined));
    await waitFor(async () => ((await bodies(alice, roomId)).includes("from bob") ? true : undefined));
    const aliceMembers = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(aliceMembers.body.joined).sort()).toEqual([alice.userId, bob.userId].sort());
  }, 30_000);

  it.each(["1", "2"])(
    "joins a version-%s room (server-assigned event IDs) of the other server",
    async (v) => {
      const created = await alice.post("/_matrix/client/v3/createRoom", {
        preset: "public_chat",
        room_version: v,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const roomId = created.body.room_id as string;
      const joined = await bob.post(
        `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(servers[0]!.config.serverName)}`,
      );
      expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      const sent = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/v${v}`, {
        msgtype: "m.text",
        body: `v${v} from bob`,
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      await waitFor(async () =>
        (await bodies(alice, roomId)).includes(`v${v} from bob`) ? true : undefined,
      );
    },
    30_000,
  );

  it("shows remote profiles, presence, typing and receipts across servers", async () => {
    await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, {
      displayname: "Alice A.",
    });
    const profile = await bob.get(`/_matrix/client/v3/profile/${enc(alice.userId)}`);
    expect(profile.body.displayname).toBe("Alice A.");
    expect((await bob.get(`/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`)).body).toEqual({
      displayname: "Alice A.",
    });

    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const msg = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/p1`, {
      body: "hello",
    });
    await waitFor(async () => ((await bodies(bob, roomId)).includes("hello") ? true : undefined));

    await alice.put(`/_matrix/client/v3/presence/${enc(alice.userId)}/status`, {
      presence: "online",
      status_msg: "here",
    });
    await waitFor(async () => {
      const s = await bob.get(`/_matrix/client/v3/presence/${enc(alice.userId)}/status`);
      return s.body.status_msg === "here" ? true : undefined;
    });

    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, {
      typing: true,
      timeout: 20000,
    });
    await waitFor(async () => {
      const s = await bob.get("/_matrix/client/v3/sync");
      const typing = s.body.rooms?.join?.[roomId]?.ephemeral?.events?.find(
        (e: { type: string }) => e.type === "m.typing",
      );
      return typing?.content.user_ids.includes(alice.userId) ? true : undefined;
    });

    await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(msg.body.event_id)}`, {});
    await waitFor(async () => {
      const s = await bob.get("/_matrix/client/v3/sync");
      const r = s.body.rooms?.join?.[roomId]?.ephemeral?.events?.find(
        (e: { type: string }) => e.type === "m.receipt",
      );
      return r?.content[msg.body.event_id]?.["m.read"]?.[alice.userId] ? true : undefined;
    });
  }, 30_000);

  it("backfills history from before a late join", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    for (let i = 0; i < 30; i++) {
      await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/h${i}`, {
        body: `early ${i}`,
      });
    }
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const seen: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await bob.get(
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10${from ? `&from=${enc(from)}` : ""}`,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const e of res.body.chunk) if (e.type === "m.room.message") seen.push(e.content.body);
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(seen.reverse()).toEqual(Array.from({ length: 30 }, (_, i) => `early ${i}`));
  }, 30_000);

  it("gives backfilled events the state they had: history hidden then is hidden now", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      initial_state: [
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } },
      ],
    });
    const roomId = created.body.room_id as string;
    const send = (body: string) =>
      alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${enc(body)}`, { body });
    for (let i = 0; i < 5; i++) await send(`hidden ${i}`);
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility`, {
      history_visibility: "shared",
    });
    for (let i = 0; i < 5; i++) await send(`shared ${i}`);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const seen: unknown[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await bob.get(
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=4${from ? `&from=${enc(from)}` : ""}`,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const e of res.body.chunk) if (e.type === "m.room.message") seen.push(e.content.body);
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(seen.reverse()).toEqual(Array.from({ length: 5 }, (_, i) => `shared ${i}`));
  }, 30_000);

  it("keeps a repeated pre-join event as history, not as a new event", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/p1`, { body: "before" });
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const [a, b] = servers as [TestServer, TestServer];
    // Alice's server sends bob's server room state it already holds from the join (as a server
    // that queued it before the join would).
    const old = await a.services.events.topological(roomId, { dir: "f", limit: 3 });
    expect(old.map((e) => e.pdu.type)).toEqual(["m.room.create", "m.room.member", "m.room.power_levels"]);
    await a.services.sender!.enqueueRoomEvents(roomId, old);
    const p2 = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/p2`, {
      body: "after",
    });
    // Transactions to a server go in order: once "after" is in, the repeats were handled. (No
    // /messages here: it would backfill the history and make it timeline.)
    await waitFor(async () => ((await b.services.events.get(p2.body.event_id)) ? true : undefined));
    for (const e of old) expect((await b.services.events.get(e.eventId))?.outlier).toBe(true);
    expect([...(await b.services.roomStore.extremities(roomId)).keys()]).toEqual([p2.body.event_id]);
  }, 30_000);

  it("relays the resident server's refusal of a join as a Matrix error", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" });
    const roomId = created.body.room_id as string;
    const via = enc(servers[0]!.config.serverName);
    const res = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${via}&via=${via}`);
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    expect(res.body.error).toContain(servers[0]!.config.serverName);
  }, 30_000);

  it("knocks on a room of the other server, and gets in once invited", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "private_chat",
      room_version: "10",
      name: "Knock knock",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
    });
    const roomId = created.body.room_id as string;
    const knocked = await bob.post(
      `/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(servers[0]!.config.serverName)}`,
      {
        reason: "hello?",
      },
    );
    expect(knocked.status, JSON.stringify(knocked.body)).toBe(200);
    const sync = await bob.get("/_matrix/client/v3/sync");
    const knockState = sync.body.rooms.knock[roomId].knock_state.events;
    expect(knockState).toContainEqual(
      expect.objectContaining({ type: "m.room.name", content: { name: "Knock knock" } }),
    );
    await waitFor(async () => {
      const m = await servers[0]!.services.roomStore.membership(bob.userId, roomId);
      return m?.membership === "knock" ? true : undefined;
    });
    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status,
    ).toBe(200);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
  }, 30_000);

  it("admits the other server's user to a restricted room through a member of the allowed room", async () => {
    const name = servers[0]!.config.serverName;
    const restrictedTo = async (allowed: string) =>
      (
        await alice.post("/_matrix/client/v3/createRoom", {
          preset: "private_chat",
          room_version: "10",
          initial_state: [
            {
              type: "m.room.join_rules",
              state_key: "",
              content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: allowed }] },
            },
          ],
        })
      ).body.room_id as string;
    const space = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id as string;
    const inner = (await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" })).body
      .room_id as string;
    const viaSpace = await restrictedTo(space);
    const viaInner = await restrictedTo(inner);
    const viaUnknown = await restrictedTo("!unknown:example.org");
    const join = (roomId: string) =>
      bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(name)}`);

    // Not yet in the allowed room: the resident refuses (403), or cannot tell for a room it does
    // not know (M_UNABLE_TO_AUTHORISE_JOIN, passed on).
    expect((await join(viaSpace)).body.errcode).toBe("M_FORBIDDEN");
    expect((await join(viaUnknown)).body.errcode).toBe("M_UNABLE_TO_AUTHORISE_JOIN");
    expect((await join(space)).status).toBe(200);
    const joined = await join(viaSpace);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const member = await alice.get(
      `/_matrix/client/v3/rooms/${enc(viaSpace)}/state/m.room.member/${enc(bob.userId)}`,
    );
    expect(member.body).toMatchObject({ membership: "join", join_authorised_via_users_server: alice.userId });
    expect((await join(viaInner)).body.errcode).toBe("M_FORBIDDEN");
  }, 30_000);

  it("queries and claims the other server's users' keys", async () => {
    const dk = {
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2"],
      keys: { [`curve25519:${alice.deviceId}`]: "c", [`ed25519:${alice.deviceId}`]: "e" },
      signatures: { [alice.userId]: { [`ed25519:${alice.deviceId}`]: "s" } },
    };
    const up = await alice.post("/_matrix/client/v3/keys/upload", {
      device_keys: dk,
      one_time_keys: { "signed_curve25519:K1": { key: "one", signatures: {} } },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const master = { user_id: alice.userId, usage: ["master"], keys: { "ed25519:M": "M" } };
    expect(
      (await alice.post("/_matrix/client/v3/keys/device_signing/upload", { master_key: master })).status,
    ).toBe(200);
    const q = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    expect(q.body.failures).toEqual({});
    expect(q.body.device_keys[alice.userId][alice.deviceId]).toMatchObject(dk);
    expect(q.body.master_keys[alice.userId]).toEqual(master);
    const claim = { one_time_keys: { [alice.userId]: { [alice.deviceId]: "signed_curve25519" } } };
    const c1 = await bob.post("/_matrix/client/v3/keys/claim", claim);
    expect(c1.body.one_time_keys[alice.userId][alice.deviceId]).toEqual({
      "signed_curve25519:K1": { key: "one", signatures: {} },
    });
    const c2 = await bob.post("/_matrix/client/v3/keys/claim", claim);
    expect(c2.body.one_time_keys).toEqual({});
    // An unreachable server is a failure, not an error.
    const down = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { "@x:127.0.0.9:1": [] } });
    expect(Object.keys(down.body.failures)).toEqual(["127.0.0.9:1"]);
  }, 30_000);

  it("serves the other server's media to its users, fetched over federation once", async () => {
    const bytes = new Uint8Array([1, 2, 3, 250, 0, 255]);
    const up = await fetch(`${servers[0]!.url}/_matrix/media/v3/upload?filename=data.bin`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "application/x-test" },
      body: bytes,
    });
    const mxc = ((await up.json()) as { content_uri: string }).content_uri;
    const path = mxc.replace("mxc://", "");
    const get = () =>
      fetch(`${servers[1]!.url}/_matrix/client/v1/media/download/${path}`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
    const res = await get();
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("application/x-test");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=utf-8''data.bin");
    // Unknown media of the other server: 404 passed on.
    const unknown = await fetch(
      `${servers[1]!.url}/_matrix/client/v1/media/download/${servers[0]!.config.serverName}/nosuchmedia`,
      { headers: { authorization: `Bearer ${bob.accessToken}` } },
    );
    expect(unknown.status).toBe(404);
  }, 30_000);

  it("issues OpenID tokens that a third party checks on the federation listener", async () => {
    const issued = await alice.post(`/_matrix/client/v3/user/${enc(alice.userId)}/openid/request_token`, {});
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({
      token_type: "Bearer",
      matrix_server_name: servers[0]!.config.serverName,
    });
    const userinfo = (token: string) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const [host, port] = servers[0]!.config.serverName.split(":");
        const req = httpsRequest(
          {
            host,
            port: Number(port),
            path: `/_matrix/federation/v1/openid/userinfo?access_token=${enc(token)}`,
            ca: caPem,
          },
          (res) => {
            let body = "";
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
          },
        );
        req.on("error", reject);
        req.end();
      });
    expect(await userinfo(issued.body.access_token as string)).toEqual({
      status: 200,
      body: { sub: alice.userId },
    });
    const bad = await userinfo("not-a-token");
    expect(bad.status).toBe(401);
    expect(bad.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(
      (await bob.post(`/_matrix/client/v3/user/${enc(alice.userId)}/openid/request_token`, {})).status,
    ).toBe(403);
  }, 30_000);

  it("walks a space into children only the other server holds (federation /hierarchy)", async () => {
    const space = (
      await alice.post("/_matrix/client/v3/createRoom", {
        preset: "public_chat",
        name: "Mixed space",
        creation_content: { type: "m.space" },
      })
    ).body.room_id as string;
    const remotePublic = (
      await bob.post("/_matrix/client/v3/createRoom", { preset: "public_chat", name: "Bob's" })
    ).body.room_id as string;
    const remotePrivate = (
      await bob.post("/_matrix/client/v3/createRoom", { preset: "private_chat", name: "Hidden" })
    ).body.room_id as string;
    const via = [servers[1]!.config.serverName];
    for (const child of [remotePublic, remotePrivate]) {
      const res = await alice.put(
        `/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc(child)}`,
        { via },
      );
      expect(res.status).toBe(200);
    }
    const res = await alice.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rooms = res.body.rooms as Array<{ room_id: string; name?: string }>;
    expect(rooms.map((r) => r.room_id)).toEqual([space, remotePublic]);
    expect(rooms[1]!.name).toBe("Bob's");
  }, 30_000);

  it("lists the other server's public rooms (GET and POST /publicRooms?server=)", async () => {
    const name = servers[0]!.config.serverName;
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      visibility: "public",
      name: "Remote listing",
    });
    const roomId = created.body.room_id as string;
    const got = await bob.get(`/_matrix/client/v3/publicRooms?server=${enc(name)}`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body.chunk.map((r: { room_id: string }) => r.room_id)).toContain(roomId);
    const searched = await bob.post(`/_matrix/client/v3/publicRooms?server=${enc(name)}`, {
      filter: { generic_search_term: "remote LISTING" },
    });
    expect(searched.status, JSON.stringify(searched.body)).toBe(200);
    expect(searched.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([roomId]);
    const none = await bob.post(`/_matrix/client/v3/publicRooms?server=${enc(name)}`, {
      filter: { generic_search_term: "no such room anywhere" },
    });
    expect(none.body.chunk).toEqual([]);
    const unreachable = await bob.get(`/_matrix/client/v3/publicRooms?server=127.0.0.9:1`);
    expect(unreachable.status).toBe(502);
  }, 30_000);

  it("refuses events from a server the room's ACL denies", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/acl1`, { body: "before" });
    await waitFor(async () => ((await bodies(alice, roomId)).includes("before") ? true : undefined));
    // ACLs match the server name without its port ("Server Access Control Lists").
    const acl = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl`, {
      allow: ["*"],
      deny: ["127.0.0.2"],
      allow_ip_literals: true,
    });
    expect(acl.status, JSON.stringify(acl.body)).toBe(200);
    await waitFor(async () => {
      const s = await servers[1]!.services.roomStore.currentStateEventId(roomId, "m.room.server_acl", "");
      return s ? true : undefined;
    });
    const after = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/acl2`, {
      body: "after",
    });
    // Room EDUs are ignored too: typing and receipts.
    await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, {
      typing: true,
      timeout: 30_000,
    });
    await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(after.body.event_id)}`, {});
    await new Promise((r) => setTimeout(r, 1500));
    const sync = await alice.get("/_matrix/client/v3/sync");
    const ephemeral = (sync.body.rooms?.join?.[roomId]?.ephemeral?.events ?? []) as Array<{
      type: string;
      content: Record<string, unknown>;
    }>;
    const typing = ephemeral.find((e) => e.type === "m.typing");
    expect((typing?.content.user_ids as string[] | undefined) ?? []).not.toContain(bob.userId);
    expect(JSON.stringify(ephemeral.filter((e) => e.type === "m.receipt"))).not.toContain(bob.userId);
    expect(await bodies(alice, roomId)).not.toContain("after");
  }, 30_000);

  it("sends to-device messages to another server's user", async () => {
    const start = await bob.get("/_matrix/client/v3/sync");
    const res = await alice.put("/_matrix/client/v3/sendToDevice/m.test/fed1", {
      messages: { [bob.userId]: { "*": { over: "federation" } } },
    });
    expect(res.status).toBe(200);
    await waitFor(async () => {
      const s = await bob.get(`/_matrix/client/v3/sync?since=${start.body.next_batch}`);
      return s.body.to_device.events.some(
        (e: { content: { over?: string } }) => e.content.over === "federation",
      )
        ? true
        : undefined;
    });
  }, 30_000);

  it("tells the other server when a user's devices change", async () => {
    const roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const start = await alice.get("/_matrix/client/v3/sync");
    const login = await bob.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "bob" },
      password: "correct horse battery",
    });
    expect(login.status).toBe(200);
    await waitFor(async () => {
      const s = await alice.get(`/_matrix/client/v3/sync?since=${start.body.next_batch}`);
      return s.body.device_lists.changed.includes(bob.userId) ? true : undefined;
    });
  }, 30_000);

  it("creates a room with another server's user in its invite list", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "private_chat",
      invite: [bob.userId],
      is_direct: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId = created.body.room_id as string;
    await waitFor(async () => {
      const s = await bob.get("/_matrix/client/v3/sync");
      return s.body.rooms?.invite?.[roomId] ? true : undefined;
    });
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
  }, 30_000);

  it("invites a user of the other server, who accepts", async () => {
    const { roomId, sync } = await privateRoomInvitingBob();
    const inviteState = sync.rooms.invite[roomId].invite_state.events.map((e: { type: string }) => e.type);
    expect(inviteState).toContain("m.room.member");
    // The stripped state the inviting server sent comes with it.
    expect(inviteState).toContain("m.room.create");
    expect(inviteState).toContain("m.room.join_rules");
    const accepted = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/x`, { body: "thanks" });
    await waitFor(async () => ((await bodies(alice, roomId)).includes("thanks") ? true : undefined));
  }, 30_000);

  it("rejects an invite locally when the inviting server will not take the rejection", async () => {
    const { roomId, sync: before } = await privateRoomInvitingBob();
    // The room's ACL now denies bob's server: alice's server refuses its make_leave (403).
    const acl = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl`, {
      allow: ["*"],
      deny: ["127.0.0.2"],
      allow_ip_literals: true,
    });
    expect(acl.status).toBe(200);
    const rejected = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { reason: "no thanks" });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    const after = await bob.get(`/_matrix/client/v3/sync?since=${enc(before.next_batch)}&timeout=0`);
    const leave = after.body.rooms?.leave?.[roomId];
    expect(leave, JSON.stringify(after.body.rooms)).toBeDefined();
    // The leave is ours, stored out of band; sync shows it in the room's `leave` timeline.
    const shown = leave.timeline.events.find(
      (e: { type: string; state_key?: string }) => e.type === "m.room.member" && e.state_key === bob.userId,
    );
    expect(shown?.content).toEqual({ membership: "leave", reason: "no thanks" });
    const record = await servers[1]!.services.roomStore.membership(bob.userId, roomId);
    expect(record?.membership).toBe("leave");
    const own = await servers[1]!.services.events.get(record!.eventId);
    expect(own?.pdu.content).toEqual({ membership: "leave", reason: "no thanks" });
    expect(own?.pdu.sender).toBe(bob.userId);
    // The invite is gone: a later initial sync shows no invite for that room.
    expect((await bob.get("/_matrix/client/v3/sync")).body.rooms?.invite?.[roomId]).toBeUndefined();
  }, 30_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bodies,
  createRoom,
  invite,
  join,
  leave,
  messages,
  send,
  setState,
  sync,
  type User,
} from "../../../services/sync/test-helpers.js";
import { registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: User;
let bob: User;
let eve: User;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  eve = await registerUser(server, "eve");
});
afterAll(async () => {
  await server.destroy();
});

const enc = encodeURIComponent;
const room = (roomId: string) => `/_matrix/client/v3/rooms/${enc(roomId)}`;

describe("GET /rooms/{roomId}/messages", () => {
  it("paginates backwards from the end and forwards from the start, without gaps or duplicates", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    const sent: string[] = [];
    for (let i = 0; i < 23; i++) sent.push(await send(alice, roomId, `p${i}`));

    const back: string[] = [];
    let from: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await messages(alice, roomId, { dir: "b", limit: 5, ...(from ? { from } : {}) });
      expect(res.status).toBe(200);
      expect(typeof res.body.start).toBe("string");
      if (from) expect(res.body.start).toBe(from);
      back.push(...bodies(res.body.chunk));
      for (const e of res.body.chunk) expect(e.room_id).toBe(roomId);
      pages++;
      if (!res.body.end) break;
      from = res.body.end;
      expect(pages).toBeLessThan(20);
    }
    expect(back).toEqual(Array.from({ length: 23 }, (_, i) => `p${22 - i}`));

    const fwd: string[] = [];
    from = undefined;
    for (let i = 0; i < 20; i++) {
      const res = await messages(alice, roomId, { dir: "f", limit: 7, ...(from ? { from } : {}) });
      fwd.push(...bodies(res.body.chunk));
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(fwd).toEqual(Array.from({ length: 23 }, (_, i) => `p${i}`));
  });

  it("accepts sync tokens as from, and `to` stops the page", async () => {
    const roomId = await createRoom(alice, {});
    await send(alice, roomId, "old");
    const mid = (await sync(alice)).next_batch;
    await send(alice, roomId, "new1");
    await send(alice, roomId, "new2");
    const res = await messages(alice, roomId, { from: mid, dir: "b", limit: 3 });
    expect(bodies(res.body.chunk)).toEqual(["old"]);
    const fwd = await messages(alice, roomId, { from: mid, dir: "f", limit: 10 });
    expect(bodies(fwd.body.chunk)).toEqual(["new1", "new2"]);
    expect(fwd.body.end).toBeUndefined();
    const end = (await sync(alice)).next_batch;
    const between = await messages(alice, roomId, { from: end, to: mid, dir: "b", limit: 10 });
    expect(bodies(between.body.chunk)).toEqual(["new2", "new1"]);
    expect(between.body.end).toBeUndefined();
  });

  it("applies a RoomEventFilter, with lazy-loaded member state", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    await send(alice, roomId, "a");
    await send(bob, roomId, "b");
    await send(alice, roomId, { x: 1 }, "org.example.other");
    const filter = JSON.stringify({
      types: ["m.room.message"],
      senders: [bob.userId],
      lazy_load_members: true,
    });
    const res = await messages(alice, roomId, { dir: "b", limit: 10, filter });
    expect(bodies(res.body.chunk)).toEqual(["b"]);
    expect(res.body.chunk).toHaveLength(1);
    expect(res.body.state.map((e: any) => e.state_key)).toEqual([bob.userId]);
    const urls = await messages(alice, roomId, {
      dir: "b",
      limit: 10,
      filter: JSON.stringify({ contains_url: true }),
    });
    expect(urls.body.chunk).toEqual([]);
  });

  it("refuses bad input", async () => {
    const roomId = await createRoom(alice, {});
    const noDir = await messages(alice, roomId, {});
    expect(noDir.status).toBe(400);
    expect(noDir.body.errcode).toBe("M_MISSING_PARAM");
    const badDir = await messages(alice, roomId, { dir: "x" });
    expect(badDir.body.errcode).toBe("M_INVALID_PARAM");
    for (const limit of ["-1", "1001", "ten"]) {
      const res = await messages(alice, roomId, { dir: "b", limit });
      expect(res.status, limit).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
    for (const from of ["garbage", "t1", "t1_x", "s_1"]) {
      const res = await messages(alice, roomId, { dir: "b", from });
      expect(res.status, from).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
    const badFilter = await messages(alice, roomId, { dir: "b", filter: "{oops" });
    expect(badFilter.body.errcode).toBe("M_INVALID_PARAM");
    const badShape = await messages(alice, roomId, { dir: "b", filter: JSON.stringify({ limit: "x" }) });
    expect(badShape.body.errcode).toBe("M_INVALID_PARAM");
    const badRoom = await alice.get("/_matrix/client/v3/rooms/nope/messages?dir=b");
    expect(badRoom.body.errcode).toBe("M_INVALID_PARAM");
    const stranger = await messages(eve, roomId, { dir: "b" });
    expect(stranger.status).toBe(403);
    expect(stranger.body.errcode).toBe("M_FORBIDDEN");
    const unknownRoom = await messages(alice, "!unknown:localhost", { dir: "b" });
    expect(unknownRoom.status).toBe(403);
  });
});

describe("GET /rooms/{roomId}/context/{eventId} and /event/{eventId}", () => {
  it("returns the event with context and tokens that paginate onwards", async () => {
    const roomId = await createRoom(alice, { name: "ctx" });
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await send(alice, roomId, `c${i}`));
    const res = await alice.get(`${room(roomId)}/context/${enc(ids[4]!)}?limit=4`);
    expect(res.status).toBe(200);
    expect(res.body.event.event_id).toBe(ids[4]);
    expect(res.body.events_before.map((e: any) => e.event_id)).toEqual([ids[3], ids[2]]);
    expect(res.body.events_after.map((e: any) => e.event_id)).toEqual([ids[5], ids[6]]);
    expect(res.body.state.map((e: any) => e.type)).toContain("m.room.name");
    const older = await messages(alice, roomId, { from: res.body.start, dir: "b", limit: 1 });
    expect(older.body.chunk[0].event_id).toBe(ids[1]);
    const newer = await messages(alice, roomId, { from: res.body.end, dir: "f", limit: 1 });
    expect(newer.body.chunk[0].event_id).toBe(ids[7]);
    const zero = await alice.get(`${room(roomId)}/context/${enc(ids[4]!)}?limit=0`);
    expect(zero.body.event.event_id).toBe(ids[4]);
    expect(zero.body.events_before).toEqual([]);
    const lazy = await alice.get(
      `${room(roomId)}/context/${enc(ids[4]!)}?limit=2&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`,
    );
    expect(
      lazy.body.state.filter((e: any) => e.type === "m.room.member").map((e: any) => e.state_key),
    ).toEqual([alice.userId]);
    const missing = await alice.get(`${room(roomId)}/context/${enc("$nope")}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
  });

  it("GET /event returns a visible event, 404 otherwise", async () => {
    const roomId = await createRoom(alice, { preset: "private_chat" });
    const id = await send(alice, roomId, "secret");
    const ok = await alice.get(`${room(roomId)}/event/${enc(id)}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      event_id: id,
      room_id: roomId,
      type: "m.room.message",
      content: { body: "secret" },
    });
    const hidden = await eve.get(`${room(roomId)}/event/${enc(id)}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.errcode).toBe("M_NOT_FOUND");
    const other = await createRoom(alice, {});
    const wrongRoom = await alice.get(`${room(other)}/event/${enc(id)}`);
    expect(wrongRoom.status).toBe(404);
  });
});

describe("state and members", () => {
  it("GET /state and /state/{type}/{key}; a departed user sees the state when they left", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", name: "one" });
    await join(bob, roomId);
    const all = await bob.get(`${room(roomId)}/state`);
    expect(all.status).toBe(200);
    expect(all.body.map((e: any) => e.type)).toContain("m.room.create");
    expect(all.body.every((e: any) => e.room_id === roomId)).toBe(true);
    const name = await bob.get(`${room(roomId)}/state/m.room.name`);
    expect(name.body).toEqual({ name: "one" });
    const slash = await bob.get(`${room(roomId)}/state/m.room.name/`);
    expect(slash.body).toEqual({ name: "one" });
    const event = await bob.get(`${room(roomId)}/state/m.room.name/?format=event`);
    expect(event.body).toMatchObject({
      type: "m.room.name",
      state_key: "",
      content: { name: "one" },
      room_id: roomId,
    });
    const member = await bob.get(`${room(roomId)}/state/m.room.member/${enc(bob.userId)}`);
    expect(member.body.membership).toBe("join");
    const absent = await bob.get(`${room(roomId)}/state/m.room.topic`);
    expect(absent.status).toBe(404);
    expect(absent.body.errcode).toBe("M_NOT_FOUND");
    const badFormat = await bob.get(`${room(roomId)}/state/m.room.name?format=xml`);
    expect(badFormat.body.errcode).toBe("M_INVALID_PARAM");

    await leave(bob, roomId);
    await setState(alice, roomId, "m.room.name", { name: "two" });
    expect((await bob.get(`${room(roomId)}/state/m.room.name`)).body).toEqual({ name: "one" });
    expect((await alice.get(`${room(roomId)}/state/m.room.name`)).body).toEqual({ name: "two" });
    const never = await eve.get(`${room(roomId)}/state`);
    expect(never.status).toBe(403);
    expect(never.body.errcode).toBe("M_FORBIDDEN");
    expect((await eve.get(`${room(roomId)}/state/m.room.name`)).status).toBe(403);
  });

  it("GET /members with membership filters and `at`, and /joined_members", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const before = (await sync(alice)).next_batch;
    await invite(alice, roomId, eve.userId);
    const carol = await registerUser(server, "carol_m");
    await join(carol, roomId);
    await leave(carol, roomId);

    const members = async (q: string) => {
      const res = await alice.get(`${room(roomId)}/members${q}`);
      expect(res.status).toBe(200);
      return new Set(res.body.chunk.map((e: any) => `${e.state_key}=${e.content.membership}`));
    };
    expect(await members("")).toEqual(
      new Set([
        `${alice.userId}=join`,
        `${bob.userId}=join`,
        `${eve.userId}=invite`,
        `${carol.userId}=leave`,
      ]),
    );
    expect(await members("?membership=join")).toEqual(
      new Set([`${alice.userId}=join`, `${bob.userId}=join`]),
    );
    expect(await members("?not_membership=join")).toEqual(
      new Set([`${eve.userId}=invite`, `${carol.userId}=leave`]),
    );
    expect(await members("?membership=invite&not_membership=join")).toEqual(
      new Set([`${eve.userId}=invite`, `${carol.userId}=leave`]),
    );
    expect(await members(`?at=${before}`)).toEqual(new Set([`${alice.userId}=join`, `${bob.userId}=join`]));
    const bad = await alice.get(`${room(roomId)}/members?membership=dancing`);
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
    const badAt = await alice.get(`${room(roomId)}/members?at=zzz`);
    expect(badAt.body.errcode).toBe("M_INVALID_PARAM");
    const invited = await eve.get(`${room(roomId)}/members`);
    expect(invited.status).toBe(403);

    const joined = await alice.get(`${room(roomId)}/joined_members`);
    expect(joined.status).toBe(200);
    expect(Object.keys(joined.body.joined).sort()).toEqual([alice.userId, bob.userId].sort());
    expect(joined.body.joined[alice.userId]).toEqual(expect.any(Object));
    const denied = await carol.get(`${room(roomId)}/joined_members`);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("GET /rooms/{roomId}/timestamp_to_event", () => {
  it("finds the closest event in each direction", async () => {
    const roomId = await createRoom(alice, {});
    const a = await send(alice, roomId, "a");
    await new Promise((r) => setTimeout(r, 20));
    const mid = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const b = await send(alice, roomId, "b");
    const path = (ts: number, dir: string) =>
      `/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${ts}&dir=${dir}`;
    const fwd = await alice.get(path(mid, "f"));
    expect(fwd.status).toBe(200);
    expect(fwd.body.event_id).toBe(b);
    expect(typeof fwd.body.origin_server_ts).toBe("number");
    const back = await alice.get(path(mid, "b"));
    expect(back.body.event_id).toBe(a);
    const none = await alice.get(path(Date.now() + 60_000, "f"));
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe("M_NOT_FOUND");
    const first = await alice.get(path(0, "f"));
    expect(first.status).toBe(200);
    const missingTs = await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event?dir=f`);
    expect(missingTs.body.errcode).toBe("M_MISSING_PARAM");
    const missingDir = await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=1`);
    expect(missingDir.body.errcode).toBe("M_MISSING_PARAM");
    expect((await eve.get(path(mid, "f"))).status).toBe(403);
  });
});

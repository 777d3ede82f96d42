import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

describe("room directory", () => {
  it("creates, resolves and deletes aliases", async () => {
    const { body } = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const alias = "#things:localhost";
    expect(
      (await alice.put(`/_matrix/client/v3/directory/room/${enc(alias)}`, { room_id: body.room_id })).status,
    ).toBe(200);
    const again = await alice.put(`/_matrix/client/v3/directory/room/${enc(alias)}`, {
      room_id: body.room_id,
    });
    expect(again.status).toBe(409);
    expect((await bob.get(`/_matrix/client/v3/directory/room/${enc(alias)}`)).body).toEqual({
      room_id: body.room_id,
      servers: ["localhost"],
    });
    expect((await alice.get(`/_matrix/client/v3/rooms/${enc(body.room_id)}/aliases`)).body.aliases).toEqual([
      alias,
    ]);
    expect((await bob.get(`/_matrix/client/v3/rooms/${enc(body.room_id)}/aliases`)).status).toBe(403);
    expect((await bob.delete(`/_matrix/client/v3/directory/room/${enc(alias)}`)).status).toBe(403);
    expect((await alice.delete(`/_matrix/client/v3/directory/room/${enc(alias)}`)).status).toBe(200);
    expect((await bob.get(`/_matrix/client/v3/directory/room/${enc(alias)}`)).status).toBe(404);
    const foreign = await alice.put(`/_matrix/client/v3/directory/room/${enc("#x:elsewhere.org")}`, {
      room_id: body.room_id,
    });
    expect(foreign.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("publishes rooms and lists them with search and pagination", async () => {
    const a = await alice.post("/_matrix/client/v3/createRoom", {
      visibility: "public",
      name: "Apples",
      topic: "fruit",
    });
    const b = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", name: "Bananas" });
    expect(
      (await bob.get(`/_matrix/client/v3/directory/list/room/${enc(b.body.room_id)}`)).body.visibility,
    ).toBe("private");
    expect(
      (
        await bob.put(`/_matrix/client/v3/directory/list/room/${enc(b.body.room_id)}`, {
          visibility: "public",
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await alice.put(`/_matrix/client/v3/directory/list/room/${enc(b.body.room_id)}`, {
          visibility: "public",
        })
      ).status,
    ).toBe(200);
    await bob.post(`/_matrix/client/v3/join/${enc(b.body.room_id)}`);
    const list = await bob.get("/_matrix/client/v3/publicRooms");
    expect(list.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([
      b.body.room_id,
      a.body.room_id,
    ]);
    expect(list.body.chunk[0]).toMatchObject({ name: "Bananas", num_joined_members: 2, join_rule: "public" });
    const page = await bob.get("/_matrix/client/v3/publicRooms?limit=1");
    expect(page.body.chunk).toHaveLength(1);
    const next = await bob.get(`/_matrix/client/v3/publicRooms?limit=1&since=${page.body.next_batch}`);
    expect(next.body.chunk[0].room_id).toBe(a.body.room_id);
    const search = await bob.post("/_matrix/client/v3/publicRooms", {
      filter: { generic_search_term: "fruit" },
    });
    expect(search.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([a.body.room_id]);
  });
});

describe("room upgrade", () => {
  it("replaces the room, carries state and aliases, tombstones the old one", async () => {
    const old = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      name: "Old",
      room_alias_name: "upgrademe",
      room_version: "10",
    });
    await bob.post(`/_matrix/client/v3/join/${enc(old.body.room_id)}`);
    expect(
      (await bob.post(`/_matrix/client/v3/rooms/${enc(old.body.room_id)}/upgrade`, { new_version: "12" }))
        .status,
    ).toBe(403);
    const up = await alice.post(`/_matrix/client/v3/rooms/${enc(old.body.room_id)}/upgrade`, {
      new_version: "12",
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const newRoom = up.body.replacement_room as string;
    expect(newRoom).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect(
      (await bob.get(`/_matrix/client/v3/directory/room/${enc("#upgrademe:localhost")}`)).body.room_id,
    ).toBe(newRoom);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(newRoom)}`)).status).toBe(200);
    // The old room is closed to ordinary members now.
    const send = await bob.put(`/_matrix/client/v3/rooms/${enc(old.body.room_id)}/send/m.room.message/x`, {
      body: "hi",
    });
    expect(send.status).toBe(403);
    const bad = await alice.post(`/_matrix/client/v3/rooms/${enc(newRoom)}/upgrade`, { new_version: "77" });
    expect(bad.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
  });
});

describe("room directory errors", () => {
  it("refuses an invalid alias and a missing or invalid room ID with 400", async () => {
    const { body } = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    for (const alias of ["notanalias", "#nocolon", "!room:localhost"]) {
      const put = await alice.put(`/_matrix/client/v3/directory/room/${enc(alias)}`, {
        room_id: body.room_id,
      });
      expect([alias, put.status, put.body.errcode]).toEqual([alias, 400, "M_INVALID_PARAM"]);
      const get = await alice.get(`/_matrix/client/v3/directory/room/${enc(alias)}`);
      expect([alias, get.status, get.body.errcode]).toEqual([alias, 400, "M_INVALID_PARAM"]);
    }
    const path = `/_matrix/client/v3/directory/room/${enc("#fine:localhost")}`;
    expect((await alice.put(path, {})).status).toBe(400);
    expect((await alice.put(path, { room_id: "not a room" })).body.errcode).toBe("M_INVALID_PARAM");
    expect((await alice.put(path, { room_id: "!unknown:localhost" })).status).toBe(404);
  });

  it("refuses a visibility other than public or private with M_INVALID_PARAM; absent is public", async () => {
    const { body } = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const path = `/_matrix/client/v3/directory/list/room/${enc(body.room_id)}`;
    for (const visibility of ["bogus", "PUBLIC", 1, true, ["public"]]) {
      const res = await alice.put(path, { visibility });
      expect([visibility, res.status, res.body.errcode]).toEqual([visibility, 400, "M_INVALID_PARAM"]);
    }
    expect((await alice.put(path, {})).status).toBe(200);
    expect((await alice.get(path)).body).toEqual({ visibility: "public" });
    expect((await alice.put(path, { visibility: "private" })).status).toBe(200);
    const unknown = await alice.put(`/_matrix/client/v3/directory/list/room/${enc("!nope:localhost")}`, {});
    expect([unknown.status, unknown.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  it("refuses a bad since, limit or filter on /publicRooms with 400", async () => {
    for (const query of ["limit=abc", "limit=-1", "since=abc", "since=o", "server=not%20a%20server"]) {
      const res = await bob.get(`/_matrix/client/v3/publicRooms?${query}`);
      expect([query, res.status, res.body.errcode]).toEqual([query, 400, "M_INVALID_PARAM"]);
    }
    expect((await bob.post("/_matrix/client/v3/publicRooms", { since: "abc" })).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    for (const body of [
      { limit: "ten" },
      { limit: 1.5 },
      { since: 5 },
      { filter: "x" },
      { filter: { generic_search_term: 5 } },
      { filter: { room_types: "m.space" } },
      { filter: { room_types: [5] } },
    ]) {
      const res = await bob.post("/_matrix/client/v3/publicRooms", body);
      expect([body, res.status, res.body.errcode]).toEqual([body, 400, "M_BAD_JSON"]);
    }
  });

  it("filters /publicRooms by room type, null standing for rooms without one", async () => {
    const space = await alice.post("/_matrix/client/v3/createRoom", {
      visibility: "public",
      name: "A space",
      creation_content: { type: "m.space" },
    });
    const plain = await alice.post("/_matrix/client/v3/createRoom", { visibility: "public", name: "Plain" });
    const ids = async (room_types: unknown) =>
      (
        (await bob.post("/_matrix/client/v3/publicRooms", { filter: { room_types } })).body.chunk as Array<{
          room_id: string;
        }>
      ).map((r) => r.room_id);
    expect(await ids(["m.space"])).toEqual([space.body.room_id]);
    const untyped = await ids([null]);
    expect(untyped).toContain(plain.body.room_id);
    expect(untyped).not.toContain(space.body.room_id);
    const both = await ids([null, "m.space"]);
    expect(both).toEqual(expect.arrayContaining([space.body.room_id, plain.body.room_id]));
    expect((await bob.post("/_matrix/client/v3/publicRooms", {})).body.chunk.length).toBe(both.length);
  });
});

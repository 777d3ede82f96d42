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

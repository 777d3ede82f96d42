import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, sync, type User } from "../../../services/sync/test-helpers.js";
import { registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: User;
let bob: User;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

const enc = encodeURIComponent;
const global = (u: User, type: string) =>
  `/_matrix/client/v3/user/${enc(u.userId)}/account_data/${enc(type)}`;
const perRoom = (u: User, roomId: string, type: string) =>
  `/_matrix/client/v3/user/${enc(u.userId)}/rooms/${enc(roomId)}/account_data/${enc(type)}`;

describe("account data", () => {
  it("sets and gets global account data; 404 when absent", async () => {
    const missing = await alice.get(global(alice, "org.example.missing"));
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
    expect((await alice.put(global(alice, "org.example.cfg"), { a: 1 })).status).toBe(200);
    expect((await alice.get(global(alice, "org.example.cfg"))).body).toEqual({ a: 1 });
    expect((await alice.put(global(alice, "org.example.cfg"), { a: 2 })).status).toBe(200);
    expect((await alice.get(global(alice, "org.example.cfg"))).body).toEqual({ a: 2 });
  });

  it("per-room account data is separate from global data", async () => {
    const roomId = await createRoom(alice, {});
    expect((await alice.put(perRoom(alice, roomId, "m.tag"), { tags: { u: {} } })).status).toBe(200);
    expect((await alice.get(perRoom(alice, roomId, "m.tag"))).body).toEqual({ tags: { u: {} } });
    expect((await alice.get(global(alice, "m.tag"))).status).toBe(404);
    const bad = await alice.put(perRoom(alice, "not-a-room", "m.tag"), {});
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("tags rooms (m.tag account data), concurrent tag changes all kept", async () => {
    const roomId = await createRoom(alice, {});
    const tags = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent(roomId)}/tags`;
    expect((await alice.get(tags)).body).toEqual({ tags: {} });
    const puts = await Promise.all(
      ["m.favourite", "u.work", "u.later"].map((t, i) => alice.put(`${tags}/${t}`, { order: i / 10 })),
    );
    expect(puts.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await alice.get(tags)).body).toEqual({
      tags: { "m.favourite": { order: 0 }, "u.work": { order: 0.1 }, "u.later": { order: 0.2 } },
    });
    expect((await alice.delete(`${tags}/u.work`)).status).toBe(200);
    expect(Object.keys((await alice.get(tags)).body.tags).sort()).toEqual(["m.favourite", "u.later"]);
    expect((await alice.get(perRoom(alice, roomId, "m.tag"))).body.tags["u.later"]).toEqual({ order: 0.2 });
    expect((await alice.put(`${tags}/bad`, { order: 7 })).status).toBe(400);
    expect((await bob.get(tags)).status).toBe(403);
  });

  it("403 for another user's account data", async () => {
    for (const res of [
      await alice.put(global(bob, "x.y"), {}),
      await alice.get(global(bob, "x.y")),
      await alice.put(perRoom(bob, "!r:localhost", "x.y"), {}),
      await alice.get(perRoom(bob, "!r:localhost", "x.y")),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.errcode).toBe("M_FORBIDDEN");
    }
  });

  it("refuses server-managed types with 405 M_BAD_JSON", async () => {
    const roomId = await createRoom(alice, {});
    const fullyRead = await alice.put(perRoom(alice, roomId, "m.fully_read"), { event_id: "$x" });
    expect(fullyRead.status).toBe(405);
    expect(fullyRead.body.errcode).toBe("M_BAD_JSON");
    const pushRules = await alice.put(global(alice, "m.push_rules"), {});
    expect(pushRules.status).toBe(405);
    expect(pushRules.body.errcode).toBe("M_BAD_JSON");
    const bodyNotObject = await alice.request("PUT", global(alice, "org.example.arr"), "[1]");
    expect(bodyNotObject.body.errcode).toBe("M_BAD_JSON");
  });

  it("is delivered by /sync: everything initially, changes incrementally, and wakes a long-poll", async () => {
    const roomId = await createRoom(bob, {});
    await bob.put(global(bob, "org.example.one"), { n: 1 });
    await bob.put(perRoom(bob, roomId, "org.example.room"), { r: 1 });
    const initial = await sync(bob);
    expect(initial.next_batch).toMatch(/^s\d+_[1-9]\d*(_\d+)+$/);
    expect(initial.account_data.events).toContainEqual({ type: "org.example.one", content: { n: 1 } });
    expect(initial.rooms.join[roomId].account_data.events).toEqual([
      { type: "org.example.room", content: { r: 1 } },
    ]);

    const pending = sync(bob, { since: initial.next_batch, timeout: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    await bob.put(global(bob, "org.example.two"), { n: 2 });
    const inc = await pending;
    expect(Date.now() - t).toBeLessThan(1000);
    expect(inc.account_data.events).toEqual([{ type: "org.example.two", content: { n: 2 } }]);
    expect(inc.rooms.join[roomId]).toBeUndefined();

    await bob.put(perRoom(bob, roomId, "org.example.room"), { r: 2 });
    const inc2 = await sync(bob, { since: inc.next_batch });
    expect(inc2.account_data.events).toEqual([]);
    expect(inc2.rooms.join[roomId].account_data.events).toEqual([
      { type: "org.example.room", content: { r: 2 } },
    ]);
    expect(inc2.rooms.join[roomId].timeline.events).toEqual([]);

    // Filtered out by type.
    const filtered = await sync(bob, {
      filter: JSON.stringify({ account_data: { not_types: ["org.example.one"] } }),
    });
    expect(filtered.account_data.events.map((e: any) => e.type)).not.toContain("org.example.one");
    expect(filtered.account_data.events.map((e: any) => e.type)).toContain("org.example.two");
  });

  it("survives a restart with its stream position", async () => {
    const dataDir = server.dataDir;
    await bob.put(global(bob, "org.example.persist"), { p: true });
    const before = await sync(bob);
    await server.close();
    server = await startTestServer({}, dataDir);
    const bob2 = bob.as(bob.accessToken!);
    (bob2 as any).baseUrl = server.url;
    const b = Object.assign(bob2, { userId: bob.userId, deviceId: bob.deviceId }) as User;
    const after = await sync(b, { since: before.next_batch });
    expect(after.account_data.events).toEqual([]);
    expect((await b.get(global(b, "org.example.persist"))).body).toEqual({ p: true });
    await b.put(global(b, "org.example.persist"), { p: false });
    const inc = await sync(b, { since: before.next_batch });
    expect(inc.account_data.events).toEqual([{ type: "org.example.persist", content: { p: false } }]);
  });
});

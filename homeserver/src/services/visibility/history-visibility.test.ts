import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerUser, startTestServer, type TestServer } from "../../testing/harness.js";
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
} from "../sync/test-helpers.js";

let server: TestServer;
let alice: User;
let n = 0;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
});
afterAll(async () => {
  await server.destroy();
});

async function newUser(): Promise<User> {
  return registerUser(server, `user${++n}`);
}

/** A public room with the given history visibility, two messages before `viewer` arrives. */
async function roomWith(visibility: string): Promise<string> {
  const roomId = await createRoom(alice, {
    preset: "public_chat",
    initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: visibility } }],
  });
  await send(alice, roomId, "early 1");
  await send(alice, roomId, "early 2");
  return roomId;
}

async function allMessages(user: User, roomId: string): Promise<string[]> {
  const res = await messages(user, roomId, { dir: "f", limit: 100 });
  expect(res.status).toBe(200);
  return bodies(res.body.chunk);
}

describe("history visibility", () => {
  it("shared: a user who joins later sees earlier messages", async () => {
    const roomId = await roomWith("shared");
    const bob = await newUser();
    await join(bob, roomId);
    await send(alice, roomId, "late");
    expect(await allMessages(bob, roomId)).toEqual(["early 1", "early 2", "late"]);
    const initial = await sync(bob);
    expect(bodies(initial.rooms.join[roomId].timeline.events)).toEqual(["early 1", "early 2", "late"]);
  });

  it("joined: a user who joins later sees only what was sent after their join", async () => {
    const roomId = await roomWith("joined");
    const bob = await newUser();
    await join(bob, roomId);
    await send(alice, roomId, "late");
    expect(await allMessages(bob, roomId)).toEqual(["late"]);
    const initial = await sync(bob);
    const tl = initial.rooms.join[roomId].timeline.events;
    expect(bodies(tl)).toEqual(["late"]);
    // Their own join is visible.
    expect(tl.some((e: any) => e.type === "m.room.member" && e.state_key === bob.userId)).toBe(true);
    // Earlier events are hidden from /event and /context too.
    const early = await messages(alice, roomId, { dir: "f", limit: 100 });
    const earlyId = early.body.chunk.find((e: any) => e.content.body === "early 1").event_id;
    const ev = await bob.get(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(earlyId)}`,
    );
    expect(ev.status).toBe(404);
    const ctx = await bob.get(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/context/${encodeURIComponent(earlyId)}`,
    );
    expect(ctx.status).toBe(404);
  });

  it("invited: visible from the invite on, not before", async () => {
    const roomId = await roomWith("invited");
    const bob = await newUser();
    await invite(alice, roomId, bob.userId);
    await send(alice, roomId, "after invite");
    await join(bob, roomId);
    await send(alice, roomId, "after join");
    expect(await allMessages(bob, roomId)).toEqual(["after invite", "after join"]);
  });

  it("world_readable: a non-member reads history with /messages, /event and /state", async () => {
    const roomId = await roomWith("world_readable");
    const eve = await newUser();
    expect(await allMessages(eve, roomId)).toEqual(["early 1", "early 2"]);
    const state = await eve.get(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.history_visibility`,
    );
    expect(state.body).toEqual({ history_visibility: "world_readable" });
    // Not world-readable: 403.
    const closed = await roomWith("shared");
    const res = await messages(eve, closed, { dir: "b" });
    expect(res.status).toBe(403);
  });

  it("after leaving, a user sees nothing sent after their leave", async () => {
    const roomId = await roomWith("shared");
    const bob = await newUser();
    await join(bob, roomId);
    await send(alice, roomId, "while joined");
    await leave(bob, roomId);
    await send(alice, roomId, "after leave");
    expect(await allMessages(bob, roomId)).toEqual(["early 1", "early 2", "while joined"]);
    const back = await messages(bob, roomId, { dir: "b", limit: 100 });
    expect(bodies(back.body.chunk)).toEqual(["while joined", "early 2", "early 1"]);
    // Paginating forwards ends at the leave.
    const fwd = await messages(bob, roomId, { dir: "f", limit: 100 });
    expect(fwd.body.end).toBeUndefined();
    expect(fwd.body.chunk[fwd.body.chunk.length - 1].content.membership).toBe("leave");
  });

  it("events sent while the setting was narrower stay hidden after it widens; the change itself is visible", async () => {
    const roomId = await roomWith("joined");
    await setState(alice, roomId, "m.room.history_visibility", { history_visibility: "shared" });
    await send(alice, roomId, "shared era");
    const bob = await newUser();
    await join(bob, roomId);
    expect(await allMessages(bob, roomId)).toEqual(["shared era"]);
    const res = await messages(bob, roomId, { dir: "f", limit: 100 });
    const hv = res.body.chunk.filter((e: any) => e.type === "m.room.history_visibility");
    // The first setting was sent before any setting existed (default: shared), the second changes
    // joined → shared: both are visible to a later joiner.
    expect(hv.map((e: any) => e.content.history_visibility)).toEqual(["joined", "shared"]);
  });

  it("a user who was invited and rejected cannot read the room", async () => {
    const roomId = await roomWith("shared");
    const bob = await newUser();
    await invite(alice, roomId, bob.userId);
    await leave(bob, roomId);
    const res = await messages(bob, roomId, { dir: "b" });
    expect(res.status).toBe(403);
  });
});

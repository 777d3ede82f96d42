/**
 * Unread notification counts in `/sync` over real HTTP (Push Notifications module, "Receiving
 * notifications", "Marking notifications as read").
 */
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

async function counts(
  c: Client,
  roomId: string,
): Promise<{ notification_count: number; highlight_count: number }> {
  const res = await c.get("/_matrix/client/v3/sync");
  expect(res.status).toBe(200);
  return res.body.rooms.join[roomId].unread_notifications;
}

async function send(
  c: Client,
  roomId: string,
  txn: string,
  content: Record<string, unknown>,
): Promise<string> {
  const res = await c.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
    msgtype: "m.text",
    ...content,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

describe("unread notification counts", () => {
  it("counts messages after the receipt, highlights mentions, clears on read or reply", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    expect(await counts(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });

    await send(alice, roomId, "u1", { body: "one" });
    await send(alice, roomId, "u2", { body: "two", "m.mentions": { user_ids: [bob.userId] } });
    const third = await send(alice, roomId, "u3", { body: "three" });
    // A notice does not notify (.m.rule.suppress_notices).
    await send(alice, roomId, "u4", { msgtype: "m.notice", body: "bot" });
    expect(await counts(bob, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
    // Alice's own messages never count for her.
    expect(await counts(alice, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });

    // A private receipt clears what it covers.
    const r = await bob.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read.private/${enc(third)}`,
      {},
    );
    expect(r.status).toBe(200);
    await send(alice, roomId, "u5", { body: "five" });
    expect(await counts(bob, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });

    // Sending an event marks everything before it as read.
    await send(bob, roomId, "b1", { body: "reply" });
    expect(await counts(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it("follows the user's push rules, and updates in incremental syncs", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const first = await bob.get("/_matrix/client/v3/sync");
    await send(alice, roomId, "m1", { body: "hello" });
    const next = await bob.get(`/_matrix/client/v3/sync?since=${enc(first.body.next_batch)}&timeout=0`);
    expect(next.body.rooms.join[roomId].unread_notifications).toEqual({
      notification_count: 1,
      highlight_count: 0,
    });

    // Bob mutes the room with a room rule that has no actions: later plain messages do not count…
    const mute = await bob.put(`/_matrix/client/v3/pushrules/global/room/${enc(roomId)}`, { actions: [] });
    expect(mute.status, JSON.stringify(mute.body)).toBe(200);
    await send(alice, roomId, "m2", { body: "muted" });
    await send(alice, roomId, "m3", { body: "muted too", "m.mentions": { user_ids: [bob.userId] } });
    // …but a mention still does: override rules (.m.rule.is_user_mention) come before room rules.
    expect(await counts(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
  });
});

describe("unread counts per thread", () => {
  it("splits counts between the main timeline and each thread, with threaded receipts", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const roomId = created.body.room_id as string;
    await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`);
    await send(bob, roomId, "tm1", { body: "main one" });
    const root = await send(bob, roomId, "troot", { body: "thread root" });
    const reply = (txn: string, body: string) =>
      send(bob, roomId, txn, { body, "m.relates_to": { rel_type: "m.thread", event_id: root } });
    const t1 = await reply("tt1", "reply one");
    await reply("tt2", "reply two");

    const filter = enc(JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }));
    const threaded = async () => {
      const res = await alice.get(`/_matrix/client/v3/sync?filter=${filter}`);
      const room = res.body.rooms.join[roomId];
      return { main: room.unread_notifications, threads: room.unread_thread_notifications };
    };
    expect(await threaded()).toEqual({
      main: { notification_count: 2, highlight_count: 0 },
      threads: { [root]: { notification_count: 2, highlight_count: 0 } },
    });
    // A receipt in the thread reads the thread only.
    await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(t1)}`, {
      thread_id: root,
    });
    expect(await threaded()).toEqual({
      main: { notification_count: 2, highlight_count: 0 },
      threads: { [root]: { notification_count: 1, highlight_count: 0 } },
    });
    // A receipt on the main timeline reads the main timeline only.
    await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(root)}`, {
      thread_id: "main",
    });
    expect(await threaded()).toEqual({
      main: { notification_count: 0, highlight_count: 0 },
      threads: { [root]: { notification_count: 1, highlight_count: 0 } },
    });
    // Replying in the thread reads it; without the filter there is one count and no split.
    await send(alice, roomId, "tt3", {
      body: "my reply",
      "m.relates_to": { rel_type: "m.thread", event_id: root },
    });
    expect(await threaded()).toEqual({ main: { notification_count: 0, highlight_count: 0 }, threads: {} });
    const plain = await alice.get("/_matrix/client/v3/sync");
    expect(plain.body.rooms.join[roomId].unread_thread_notifications).toBeUndefined();
  });
});

// Pushers through HTTP, with a push gateway of our own ("Pushers", Push Gateway API).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let gateway: Server;
let gatewayUrl: string;
const received: Array<{ notification: Record<string, unknown> }> = [];
let rejectKeys: string[] = [];
let alice: Client & { userId: string };
let bob: Client & { userId: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  gateway = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ rejected: rejectKeys }));
    });
  });
  await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}/_matrix/push/v1/notify`;
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
  await new Promise((r) => gateway.close(r));
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pusher = (pushkey: string, extra: Record<string, unknown> = {}) => ({
  pushkey,
  kind: "http",
  app_id: "org.example.app",
  app_display_name: "Example",
  device_display_name: "Phone",
  lang: "en",
  data: { url: gatewayUrl, extra_field: "kept" },
  ...extra,
});

describe("pushers", () => {
  it("registers pushers and refuses bad ones", async () => {
    expect((await alice.post("/_matrix/client/v3/pushers/set", pusher("key-1"))).status).toBe(200);
    const listed = await alice.get("/_matrix/client/v3/pushers");
    expect(listed.body.pushers).toEqual([
      {
        pushkey: "key-1",
        kind: "http",
        app_id: "org.example.app",
        app_display_name: "Example",
        device_display_name: "Phone",
        lang: "en",
        data: { url: gatewayUrl, extra_field: "kept" },
      },
    ]);
    const wrongPath = await alice.post(
      "/_matrix/client/v3/pushers/set",
      pusher("k", { data: { url: "https://push.example/other" } }),
    );
    expect(wrongPath.body.errcode).toBe("M_INVALID_PARAM");
    const missing = await alice.post("/_matrix/client/v3/pushers/set", { pushkey: "k", kind: "http" });
    expect(missing.status).toBe(400);
  });

  it("notifies the gateway of messages the user's rules say notify for, not of the user's own", async () => {
    const room = (
      await bob.post("/_matrix/client/v3/createRoom", { preset: "private_chat", invite: [alice.userId] })
    ).body.room_id as string;
    await alice.post(`/_matrix/client/v3/join/${enc(room)}`);
    await bob.put(`/_matrix/client/v3/rooms/${enc(room)}/state/m.room.name`, { name: "Chat" });
    received.length = 0;
    await alice.put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/a1`, {
      msgtype: "m.text",
      body: "mine",
    });
    const sent = await bob.put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/b1`, {
      msgtype: "m.text",
      body: "hello alice",
    });
    await until(() => received.length >= 1, "a notification");
    const n = received[0]!.notification;
    expect(n).toMatchObject({
      event_id: sent.body.event_id,
      room_id: room,
      type: "m.room.message",
      sender: bob.userId,
      room_name: "Chat",
      content: { msgtype: "m.text", body: "hello alice" },
      counts: { unread: 1 },
    });
    expect((n.devices as unknown[])[0]).toMatchObject({
      app_id: "org.example.app",
      pushkey: "key-1",
      data: { extra_field: "kept" },
    });
    expect(JSON.stringify(n.devices)).not.toContain(gatewayUrl);
    // A message in a two-person room: the default one-to-one rule asks for the default sound.
    expect((n.devices as Array<{ tweaks: unknown }>)[0]!.tweaks).toEqual({ sound: "default" });
    expect(received.every((r) => r.notification.sender !== alice.userId)).toBe(true);

    // A push key the gateway rejects is removed.
    rejectKeys = ["key-1"];
    await bob.put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/b2`, {
      msgtype: "m.text",
      body: "again",
    });
    await until(() => received.length >= 2, "the second notification");
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline && (await alice.get("/_matrix/client/v3/pushers")).body.pushers.length > 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await alice.get("/_matrix/client/v3/pushers")).body.pushers).toEqual([]);
    rejectKeys = [];
  });

  it("deletes a pusher with kind null", async () => {
    await alice.post("/_matrix/client/v3/pushers/set", pusher("key-2"));
    expect((await alice.get("/_matrix/client/v3/pushers")).body.pushers).toHaveLength(1);
    await alice.post("/_matrix/client/v3/pushers/set", { ...pusher("key-2"), kind: null });
    expect((await alice.get("/_matrix/client/v3/pushers")).body.pushers).toEqual([]);
  });
});

describe("notifications", () => {
  it("lists what notified the user, newest first, read or not, with the rule's actions", async () => {
    const carol = await registerUser(server, "carol");
    const room = (await bob.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id as string;
    await carol.post(`/_matrix/client/v3/join/${enc(room)}`);
    const say = async (c: Client, body: string, extra: Record<string, unknown> = {}) =>
      (
        await c.put(
          `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/n${body.length}${Date.now()}`,
          {
            msgtype: "m.text",
            body,
            ...extra,
          },
        )
      ).body.event_id as string;
    const first = await say(bob, "first");
    await say(carol, "mine, no notification");
    const mention = await say(bob, "hey carol", { "m.mentions": { user_ids: [carol.userId] } });
    const list = await carol.get("/_matrix/client/v3/notifications");
    expect(list.status).toBe(200);
    const ids = list.body.notifications.map((n: { event: { event_id: string } }) => n.event.event_id);
    expect(ids).toEqual([mention, first]);
    // Carol's own later message marks the first as read.
    expect(list.body.notifications.map((n: { read: boolean }) => n.read)).toEqual([false, true]);
    expect(list.body.notifications[0]).toMatchObject({ room_id: room });
    expect(list.body.notifications[0].actions).toContainEqual({ set_tweak: "highlight" });
    const highlights = await carol.get("/_matrix/client/v3/notifications?only=highlight");
    expect(
      highlights.body.notifications.map((n: { event: { event_id: string } }) => n.event.event_id),
    ).toEqual([mention]);
    const paged = await carol.get("/_matrix/client/v3/notifications?limit=1");
    expect(paged.body.notifications).toHaveLength(1);
    const next = await carol.get(`/_matrix/client/v3/notifications?limit=1&from=${paged.body.next_token}`);
    expect(next.body.notifications[0].event.event_id).toBe(first);
  });
});

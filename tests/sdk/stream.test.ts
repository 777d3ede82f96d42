/**
 * The SDK against Hearth's WebSocket sync stream (specs/websocket-sync.md).
 *
 * Two SDK clients talking over the stream while the server
 * is SIGKILLed mid-conversation and restarted: both clients notice (offline), reconnect with backoff
 * and resume from their last `next_batch`; sends that failed while the server was down go out on
 * retry with their original transaction IDs; every message reaches both clients exactly once, and
 * no sync response repeats an event. Then a client process "restart" (a new client on the same file
 * store) resumes from the saved `next_batch` and gets only what it missed. Last, the features on
 * top: edits, reactions, replies, threads, redactions, typing, receipts, read markers, presence,
 * media with progress, gap filling after a limited sync, direct chats.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConnectionError, type MatrixClient } from "../../client-sdk/src/index.js";
import { type HearthProcess, ProcessGroup } from "../support/process.js";
import { observe, repeated, testClient, until } from "./support.js";

const PASSWORD = "sdk-stream-test-pw";

/** The bodies of a room's `m.room.message` events in the client's timeline model, in order. */
function timelineBodies(client: MatrixClient, roomId: string): string[] {
  return client
    .room(roomId)!
    .timeline.filter((e) => e.type === "m.room.message")
    .map((e) => e.content.body as string);
}

describe("SDK over the WebSocket stream", () => {
  const group = new ProcessGroup();
  let hs: HearthProcess;
  let storeDir: string;
  let roomId: string;
  let alice: MatrixClient;
  let bob: MatrixClient;
  const everything: string[] = [];
  afterAll(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()]);
    await group.cleanup();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it("loses and repeats nothing when the server is killed mid-conversation", {
    timeout: 120_000,
  }, async () => {
    hs = await group.start();
    storeDir = await mkdtemp(join(tmpdir(), "hearth-sdk-store-"));
    alice = testClient(hs.url);
    bob = testClient(hs.url, { storePath: join(storeDir, "bob.json") });
    await alice.register({ username: "alice", password: PASSWORD });
    await bob.register({ username: "bob", password: PASSWORD });
    await Promise.all([alice.start(), bob.start()]);
    expect(alice.syncTransport).toBe("websocket");
    expect(bob.syncTransport).toBe("websocket");

    roomId = await alice.createRoom({ name: "crash test", invite: [bob.userId!] });
    expect(await bob.waitFor(() => bob.room(roomId)?.membership === "invite")).toBe(true);
    expect(bob.room(roomId)!.name).toBe("crash test");
    await bob.joinRoom(roomId);
    const oa = observe(alice, roomId);
    const ob = observe(bob, roomId);

    // A conversation, each message awaited by the other side before the reply.
    for (let i = 0; i < 10; i++) {
      const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
      const body = `before ${i}`;
      everything.push(body);
      await from.sendText(roomId, body);
      const seen = to === alice ? oa : ob;
      await until(`"${body}" delivered`, () => seen.bodies.includes(body));
    }

    // A send racing the crash: acknowledged or not, it must end up in the room exactly once.
    const racing = alice.sendText(roomId, "racing the kill").then(
      () => "acked",
      () => "failed",
    );
    everything.push("racing the kill");
    await hs.kill();
    await racing;
    await until("both clients offline", () => oa.offline > 0 && ob.offline > 0);

    // Sends while the server is down fail, and stay in the timeline as failed local echoes.
    const down = [
      { client: alice, body: "while down, from alice 1" },
      { client: bob, body: "while down, from bob" },
      { client: alice, body: "while down, from alice 2" },
    ];
    for (const { client, body } of down) {
      everything.push(body);
      await expect(client.sendText(roomId, body)).rejects.toBeInstanceOf(ConnectionError);
    }
    const failed = [...alice.failedSends(roomId), ...bob.failedSends(roomId)];
    const failedTxn = new Map(failed.map(({ item }) => [item.event.content.body as string, item.txnId!]));
    for (const { body } of down) expect(failedTxn.has(body), body).toBe(true);
    for (const { item } of failed) expect(item.status).toBe("failed");

    await hs.start();
    await until("both clients back online", () => oa.online > 0 && ob.online > 0);
    expect(alice.syncTransport).toBe("websocket");
    expect(bob.syncTransport).toBe("websocket");

    // Retry every failed send (same transaction IDs), then carry on talking.
    for (const client of [alice, bob]) {
      for (const { item } of client.failedSends(roomId)) await client.retry(roomId, item.txnId!);
    }
    for (const [client, body] of [
      [bob, "after, from bob"],
      [alice, "after, from alice"],
    ] as const) {
      everything.push(body);
      await client.sendText(roomId, body);
    }

    const all = [...everything].sort();
    for (const [name, o] of [
      ["alice", oa],
      ["bob", ob],
    ] as const) {
      await until(`${name} saw every message`, () => new Set(o.bodies).size === everything.length);
      expect(repeated(o.bodies), `${name}: messages emitted twice`).toEqual([]);
      expect([...o.bodies].sort(), name).toEqual(all);
      expect(repeated(o.syncedEventIds), `${name}: events the server sent twice`).toEqual([]);
      expect([...o.transports], name).toEqual(["websocket"]);
    }
    for (const client of [alice, bob]) {
      const bodies = timelineBodies(client, roomId);
      expect(repeated(bodies)).toEqual([]);
      expect([...bodies].sort()).toEqual(all);
      expect(client.room(roomId)!.liveTimeline.pending).toEqual([]);
    }
    // The retried sends kept their transaction IDs: the server's copies carry them.
    for (const { client, body } of down) {
      const item = client.room(roomId)!.timeline.find((e) => e.content.body === body)!;
      expect(item.synced).toBe(true);
      expect(item.status).toBe("sent");
      expect(item.txnId).toBe(failedTxn.get(body));
      expect(item.event.unsigned?.transaction_id).toBe(failedTxn.get(body));
    }
  });

  it("a restarted client resumes from the next_batch saved in its store", { timeout: 120_000 }, async () => {
    const before = timelineBodies(bob, roomId);
    await bob.stop();
    const missed = ["missed 1", "missed 2", "missed 3"];
    for (const body of missed) await alice.sendText(roomId, body);

    // A new client on the same file: no login, the session and the sync state come from the store.
    bob = testClient(hs.url, { storePath: join(storeDir, "bob.json") });
    const ob = observe(bob, roomId);
    await bob.start();
    expect(bob.syncTransport).toBe("websocket");
    await until("bob got what he missed", () => ob.bodies.length >= missed.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(ob.bodies).toEqual(missed);
    const bodies = timelineBodies(bob, roomId);
    expect(bodies).toEqual([...before, ...missed]);
  });

  it("relations, receipts, typing, presence, media, gaps and direct chats, end to end", {
    timeout: 120_000,
  }, async () => {
    const ob = observe(bob, roomId);
    const { eventId: root } = await alice.sendText(roomId, "root message");
    await bob.waitFor(() => bob.room(roomId)!.liveTimeline.byId(root) !== undefined);

    // Typing.
    const typing: string[][] = [];
    bob.on("typing", (rid, userIds) => rid === roomId && typing.push([...userIds]));
    await alice.sendTyping(roomId, true);
    await until("bob sees alice typing", () => typing.some((t) => t.includes(alice.userId!)));
    await alice.sendTyping(roomId, false);
    await until("alice stopped typing", () => typing.at(-1)?.length === 0);

    // Edit, reaction, reply, thread, redaction.
    await alice.edit(roomId, root, "root message (edited)");
    await bob.react(roomId, root, "👍");
    const { eventId: reply } = await bob.reply(roomId, root, "a reply");
    const { eventId: t1 } = await alice.sendThreadMessage(roomId, root, "in thread 1");
    await bob.waitFor(() => bob.room(roomId)!.liveTimeline.byId(t1) !== undefined);
    const { eventId: t2 } = await bob.sendThreadMessage(roomId, root, "in thread 2");
    for (const client of [alice, bob]) {
      await client.waitFor(() => client.room(roomId)!.liveTimeline.byId(t2) !== undefined);
      const item = client.room(roomId)!.liveTimeline.byId(root)!;
      expect(item.content.body).toBe("root message (edited)");
      expect([...item.reactions.get("👍")!.keys()]).toEqual([bob.userId]);
      const replyItem = client.room(roomId)!.liveTimeline.byId(reply)!;
      expect(replyItem.relatesTo?.["m.in_reply_to"]?.event_id).toBe(root);
      expect(client.room(roomId)!.liveTimeline.byId(t2)!.threadRootId).toBe(root);
    }
    const thread = await bob.threadEvents(roomId, root);
    expect(thread.map((e) => e.event_id)).toEqual([t1, t2]);
    const { eventId: doomed } = await alice.sendText(roomId, "to be redacted");
    await alice.redact(roomId, doomed, "oops");
    await bob.waitFor(() => bob.room(roomId)!.liveTimeline.byId(doomed)?.redacted === true);
    expect(bob.room(roomId)!.liveTimeline.byId(doomed)!.content).toEqual({});
    expect(bob.room(roomId)!.lastMessage?.eventId).toBe(t2);

    // Read receipts and the fully-read marker.
    const receipts: string[] = [];
    alice.on(
      "receipt",
      (rid, userId, r) => rid === roomId && userId === bob.userId && receipts.push(r.eventId),
    );
    const lastId = bob.room(roomId)!.timeline.findLast((e) => e.synced)!.eventId!;
    await bob.markRead(roomId, lastId);
    await until(`alice sees bob's receipt for ${lastId} (saw ${receipts})`, () => receipts.includes(lastId));
    expect(alice.room(roomId)!.readBy(lastId)).toContain(bob.userId);
    await bob.waitFor(() => bob.room(roomId)!.fullyReadEventId === lastId);
    expect(bob.room(roomId)!.fullyReadEventId).toBe(lastId);

    // Presence.
    await alice.setPresence("online", "testing");
    await bob.waitFor(() => bob.presence(alice.userId!)?.statusMsg === "testing");
    expect(bob.presence(alice.userId!)?.presence).toBe("online");

    // Media: upload and authenticated download, with progress.
    const bytes = new Uint8Array(300 * 1024).map((_, i) => (i * 7) % 256);
    const up: number[] = [];
    const mxc = await alice.uploadMedia(bytes, {
      contentType: "application/octet-stream",
      filename: "blob.bin",
      onProgress: (p) => up.push(p.loaded),
    });
    expect(mxc).toMatch(/^mxc:\/\//);
    expect(up.length).toBeGreaterThan(2);
    expect(up.at(-1)).toBe(bytes.byteLength);
    const down: number[] = [];
    const file = await bob.downloadMedia(mxc, { onProgress: (p) => down.push(p.loaded) });
    expect(file.data).toEqual(bytes);
    expect(down.at(-1)).toBe(bytes.byteLength);
    await expect(testClient(hs.url).downloadMedia(mxc)).rejects.toMatchObject({ status: 401 });

    // A limited sync leaves a gap; back pagination fills it.
    const carol = testClient(hs.url, { filter: { room: { timeline: { limit: 3 } } } });
    await carol.register({ username: "carol", password: PASSWORD });
    await carol.start();
    await alice.invite(roomId, carol.userId!);
    await carol.waitFor(() => carol.room(roomId)?.membership === "invite");
    await carol.joinRoom(roomId);
    await carol.stop();
    const burst = Array.from({ length: 12 }, (_, i) => `gap ${i}`);
    for (const body of burst) await alice.sendText(roomId, body);
    await carol.start();
    const timeline = carol.room(roomId)!.liveTimeline;
    await carol.waitFor(() => timeline.events.some((e) => e.content.body === "gap 11"));
    expect(timeline.hasGap).toBe(true);
    while (timeline.hasGap) await carol.paginateBack(roomId, 4);
    const seen = carol
      .room(roomId)!
      .timeline.map((e) => e.content.body as string)
      .filter((b) => b?.startsWith("gap "));
    expect(seen).toEqual(burst);
    const ids = timeline.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    await carol.stop();

    // A direct chat.
    const dm = await alice.createDirectRoom(bob.userId!);
    expect(alice.room(dm)!.isDirect).toBe(true);
    expect(alice.room(dm)!.directUserId).toBe(bob.userId);
    await bob.waitFor(() => bob.room(dm)?.membership === "invite");
    expect(bob.room(dm)!.isDirect).toBe(true);
    expect(bob.invites.map((r) => r.roomId)).toContain(dm);
    await bob.leave(dm);
    expect(bob.room(dm)!.membership).toBe("leave");
    expect(repeated(ob.syncedEventIds)).toEqual([]);
  });
});

/**
 * A graceful restart (SIGTERM, then `hearth start` again on the same data directory) keeps users,
 * passwords, access tokens, rooms and timelines, and `/sync` resumes from a token issued before the
 * restart without losing or repeating events.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  allMessages,
  Client,
  type ClientEvent,
  createRoom,
  expectStatus,
  joinRoom,
  login,
  register,
  sendText,
  sync,
  timelineOf,
} from "./support/matrix.js";
import { ProcessGroup } from "./support/process.js";

const PASSWORD = "correct horse battery staple";
const FILTER = { room: { timeline: { limit: 100 } } };

/**
 * Follows `/sync` from `since` until `want` messages of `roomId` arrived (or 20 s passed); returns
 * every message seen (duplicates included, so the caller can count them) and the last `next_batch`.
 */
async function follow(client: Client, roomId: string, since: string, want: number) {
  const messages: ClientEvent[] = [];
  let next = since;
  let limited = false;
  const deadline = Date.now() + 20_000;
  while (messages.length < want && Date.now() < deadline) {
    const res = await sync(client, { since: next, timeout: 2_000, filter: FILTER });
    limited ||= res.rooms?.join?.[roomId]?.timeline?.limited === true;
    messages.push(...timelineOf(res, roomId).filter((e) => e.type === "m.room.message"));
    next = res.next_batch;
  }
  // Anything after the wanted messages would be a duplicate: one more short poll must bring nothing.
  const tail = await sync(client, { since: next, timeout: 300, filter: FILTER });
  messages.push(...timelineOf(tail, roomId).filter((e) => e.type === "m.room.message"));
  return {
    bodies: messages.map((e) => e.content.body as string),
    ids: messages.map((e) => e.event_id),
    next: tail.next_batch,
    limited,
  };
}

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);

describe("graceful restart", () => {
  const group = new ProcessGroup();
  afterAll(() => group.cleanup());

  it("keeps accounts, tokens, rooms and timelines, and /sync resumes from an old token", async () => {
    const hs = await group.start();
    const alice = await register(hs.url, "alice", PASSWORD);
    const bob = await register(hs.url, "bob", PASSWORD);
    const roomId = await createRoom(alice, {
      preset: "private_chat",
      name: "Restart room",
      invite: [bob.userId],
    });
    await joinRoom(bob, roomId);

    const initial = await sync(bob, { filter: FILTER });
    expect(Object.keys(initial.rooms?.join ?? {})).toContain(roomId);

    // Messages 1–5: sent and synced before the restart.
    const sentIds: string[] = [];
    for (const body of range("msg", 1, 5)) sentIds.push(await sendText(alice, roomId, body, `txn-${body}`));
    const first = await follow(bob, roomId, initial.next_batch, 5);
    expect(first.bodies).toEqual(range("msg", 1, 5));

    // Messages 6–10: sent before the restart, not yet synced.
    for (const body of range("msg", 6, 10)) sentIds.push(await sendText(alice, roomId, body, `txn-${body}`));

    // A long-poll is in flight while the server shuts down: shutdown must not wait for its timeout.
    const pending = sync(bob, { since: first.next, timeout: 60_000, filter: FILTER }).then(
      () => "answered",
      () => "aborted",
    );
    const stopStarted = Date.now();
    expect(await hs.stop()).toBe(0);
    expect(Date.now() - stopStarted).toBeLessThan(15_000);
    expect(["answered", "aborted"]).toContain(await pending);

    await hs.start();
    // The same tokens, against the restarted process (its URL may differ if the port was taken).
    const alice2 = new Client(hs.url, alice.accessToken);
    const bob2 = new Client(hs.url, bob.accessToken);

    // Old access tokens still work.
    expect(expectStatus("whoami alice", await alice2.get("/_matrix/client/v3/account/whoami")).user_id).toBe(
      alice.userId,
    );
    expect(expectStatus("whoami bob", await bob2.get("/_matrix/client/v3/account/whoami"))).toMatchObject({
      user_id: bob.userId,
      device_id: bob.deviceId,
    });
    // Passwords still work, and a wrong one still fails.
    const aliceNew = await login(hs.url, "alice", PASSWORD);
    expect(aliceNew.userId).toBe(alice.userId);
    const wrong = await new Client(hs.url).post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "alice" },
      password: "wrong",
    });
    expect(wrong.status).toBe(403);
    // Rooms and memberships survive.
    for (const c of [alice2, bob2]) {
      const joined = expectStatus(
        "joined_rooms",
        await c.get("/_matrix/client/v3/joined_rooms"),
      ).joined_rooms;
      expect(joined).toEqual([roomId]);
    }

    // Messages 11–15: sent after the restart.
    for (const body of range("msg", 11, 15))
      sentIds.push(await sendText(alice2, roomId, body, `txn-${body}`));

    // The token from before the restart continues exactly where it stopped: 6–15, once each.
    const second = await follow(bob2, roomId, first.next, 10);
    expect(second.bodies).toEqual(range("msg", 6, 15));
    expect(second.limited).toBe(false);
    // And the very first token gives everything, once each.
    const fromStart = await follow(bob2, roomId, initial.next_batch, 15);
    expect(fromStart.bodies).toEqual(range("msg", 1, 15));
    expect(fromStart.ids).toEqual(sentIds);

    // A send retried with a transaction ID used before the restart is not duplicated.
    expect(await sendText(alice2, roomId, "msg-3", "txn-msg-3")).toBe(sentIds[2]);

    // The timeline survives: /messages has the 15 messages in order, and each event can be fetched.
    const history = await allMessages(bob2, roomId);
    expect(history.map((e) => e.event_id)).toEqual(sentIds);
    for (const id of sentIds) {
      const ev = expectStatus(
        `event ${id}`,
        await bob2.get(
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(id)}`,
        ),
      );
      expect(ev.event_id).toBe(id);
    }

    // A new login's initial sync sees the room with its state.
    const fresh = await sync(aliceNew, { filter: FILTER });
    const room = fresh.rooms?.join?.[roomId];
    expect(room).toBeDefined();
    const state = [...(room?.state?.events ?? []), ...(room?.timeline?.events ?? [])];
    expect(state.find((e) => e.type === "m.room.name")?.content.name).toBe("Restart room");
    const members = state.filter((e) => e.type === "m.room.member" && e.content.membership === "join");
    expect(new Set(members.map((e) => e.state_key))).toEqual(new Set([alice.userId, bob.userId]));

    // A second graceful stop also exits with 0.
    expect(await hs.stop()).toBe(0);
  }, 120_000);
});

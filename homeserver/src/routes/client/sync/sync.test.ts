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

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

describe("GET /sync", () => {
  it("initial sync: joined room with timeline, state at the start of the timeline, summary", async () => {
    const roomId = await createRoom(alice, { name: "Initial", preset: "public_chat" });
    for (let i = 0; i < 5; i++) await send(alice, roomId, `m${i}`);
    const res = await sync(alice);
    expect(res.next_batch).toMatch(/^s\d+(_\d+)+$/);
    const room = res.rooms.join[roomId];
    expect(room).toBeDefined();
    expect(room.timeline.limited).toBe(true);
    expect(room.timeline.events).toHaveLength(10);
    expect(bodies(room.timeline.events)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(room.timeline.events[0].room_id).toBeUndefined();
    expect(typeof room.timeline.prev_batch).toBe("string");
    // State is the state before the first timeline event: the create event is in it.
    const stateTypes = room.state.events.map((e: any) => e.type);
    expect(stateTypes).toContain("m.room.create");
    const timelineIds = new Set(room.timeline.events.map((e: any) => e.event_id));
    for (const e of room.state.events) expect(timelineIds.has(e.event_id)).toBe(false);
    expect(room.summary["m.joined_member_count"]).toBe(1);
    expect(room.summary["m.invited_member_count"]).toBe(0);
    // Named room: no heroes needed.
    expect(room.summary["m.heroes"]).toBeUndefined();
    expect(room.unread_notifications).toEqual({ highlight_count: 0, notification_count: 0 });
    expect(room.ephemeral).toEqual({ events: [] });
    // Syncing makes the user online; they see their own presence (and no one else shares a room).
    expect(res.presence.events).toEqual([
      expect.objectContaining({
        type: "m.presence",
        sender: alice.userId,
        content: expect.objectContaining({ presence: "online" }),
      }),
    ]);
    expect(res.to_device).toEqual({ events: [] });
    expect(res.device_lists).toEqual({ changed: [], left: [] });
  });

  it("a small room fits the timeline: state is empty, not limited", async () => {
    const roomId = await createRoom(alice, {});
    const res = await sync(alice, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 50 } } }),
    });
    const room = res.rooms.join[roomId];
    expect(room.timeline.limited).toBe(false);
    expect(room.timeline.events[0].type).toBe("m.room.create");
    expect(room.state.events).toEqual([]);
  });

  it("incremental syncs return each event exactly once", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    let token = (await sync(bob)).next_batch;
    const seen: string[] = [];
    const sent: string[] = [];
    for (let round = 0; round < 4; round++) {
      const batch = await Promise.all(
        [0, 1, 2].map((i) => send(i % 2 ? alice : bob, roomId, `r${round}-${i}`)),
      );
      sent.push(...batch);
      const res = await sync(bob, {
        since: token,
        filter: JSON.stringify({ room: { timeline: { limit: 100 } } }),
      });
      token = res.next_batch;
      const room = res.rooms.join[roomId];
      expect(room.timeline.limited).toBe(false);
      seen.push(...room.timeline.events.map((e: any) => e.event_id));
    }
    expect(seen.sort()).toEqual([...sent].sort());
    const empty = await sync(bob, { since: token });
    expect(empty.rooms.join[roomId]).toBeUndefined();
    expect(empty.next_batch).toBe(token);
  });

  it("transaction_id is set only for the sending device", async () => {
    const roomId = await createRoom(alice, {});
    const since = (await sync(alice)).next_batch;
    const res1 = await alice.put(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-abc`,
      {
        msgtype: "m.text",
        body: "x",
      },
    );
    expect(res1.status).toBe(200);
    const res = await sync(alice, { since });
    const ev = res.rooms.join[roomId].timeline.events.find((e: any) => e.event_id === res1.body.event_id);
    expect(ev.unsigned.transaction_id).toBe("txn-abc");
  });

  it("long-poll wakes on another user's message and times out when nothing happens", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const token = (await sync(bob)).next_batch;

    const t0 = Date.now();
    const idle = await sync(bob, { since: token, timeout: 300 });
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2000);
    expect(Object.keys(idle.rooms.join)).toEqual([]);

    const start = Date.now();
    const pending = sync(bob, { since: idle.next_batch, timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const sentAt = Date.now();
    const eventId = await send(alice, roomId, "wake up");
    const res = await pending;
    const wokeAfter = Date.now() - sentAt;
    expect(Date.now() - start).toBeLessThan(5000);
    expect(wokeAfter).toBeLessThan(500);
    expect(res.rooms.join[roomId].timeline.events.map((e: any) => e.event_id)).toContain(eventId);
  });

  it("an activity in an unrelated room does not end the long-poll with an empty response", async () => {
    const mine = await createRoom(bob, {});
    const other = await createRoom(alice, {});
    const token = (await sync(bob)).next_batch;
    const pending = sync(bob, { since: token, timeout: 3000 });
    await new Promise((r) => setTimeout(r, 50));
    await send(alice, other, "not for bob");
    await new Promise((r) => setTimeout(r, 50));
    const eventId = await send(bob, mine, "for bob");
    const res = await pending;
    expect(res.rooms.join[other]).toBeUndefined();
    expect(res.rooms.join[mine].timeline.events.map((e: any) => e.event_id)).toEqual([eventId]);
  });

  it("limited incremental timeline: prev_batch paginates back through every missed event", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const token = (await sync(bob)).next_batch;
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) sent.push(await send(alice, roomId, `gap${i}`));
    await setState(alice, roomId, "m.room.topic", { topic: "late" });
    const res = await sync(bob, {
      since: token,
      filter: JSON.stringify({ room: { timeline: { limit: 5 } } }),
    });
    const room = res.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    expect(room.timeline.events).toHaveLength(5);
    // Walk back with /messages from prev_batch to the since token.
    const got: string[] = room.timeline.events.map((e: any) => e.event_id);
    let from = room.timeline.prev_batch;
    for (let i = 0; i < 20; i++) {
      const page = await messages(bob, roomId, { from, to: token, dir: "b", limit: 4 });
      expect(page.status).toBe(200);
      got.unshift(...page.body.chunk.map((e: any) => e.event_id).reverse());
      if (!page.body.end) break;
      from = page.body.end;
    }
    const msgIds = got.filter((id) => sent.includes(id));
    expect(msgIds).toEqual(sent);
    expect(new Set(got).size).toBe(got.length);
  });

  it("limited incremental sync sends the state delta of the gap", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", name: "before" });
    await join(bob, roomId);
    const token = (await sync(bob)).next_batch;
    await setState(alice, roomId, "m.room.name", { name: "after" });
    for (let i = 0; i < 6; i++) await send(alice, roomId, `n${i}`);
    const res = await sync(bob, {
      since: token,
      filter: JSON.stringify({ room: { timeline: { limit: 3 } } }),
    });
    const room = res.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    const name = room.state.events.find((e: any) => e.type === "m.room.name");
    expect(name?.content).toEqual({ name: "after" });
    expect(room.state.events.find((e: any) => e.type === "m.room.create")).toBeUndefined();
  });

  it("use_state_after returns the state at the end of the timeline in state_after", async () => {
    const roomId = await createRoom(alice, { name: "sa" });
    await setState(alice, roomId, "m.room.topic", { topic: "t2" });
    const res = await sync(alice, {
      use_state_after: true,
      filter: JSON.stringify({ room: { rooms: [roomId] } }),
    });
    const room = res.rooms.join[roomId];
    expect(room.state).toBeUndefined();
    const topic = room.state_after.events.find((e: any) => e.type === "m.room.topic");
    expect(topic.content.topic).toBe("t2");
  });

  it("filters: timeline types/not_types/senders and limit, room filters, bad filters", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    await send(alice, roomId, "from alice");
    await send(bob, roomId, "from bob");
    await send(alice, roomId, { foo: 1 }, "org.example.custom");
    const onlyMessages = await sync(bob, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { types: ["m.room.mess*"], limit: 50 } } }),
    });
    const tl = onlyMessages.rooms.join[roomId].timeline.events;
    expect(tl.map((e: any) => e.type)).toEqual(["m.room.message", "m.room.message"]);
    const noAlice = await sync(bob, {
      filter: JSON.stringify({
        room: { rooms: [roomId], timeline: { not_senders: [alice.userId], limit: 50 } },
      }),
    });
    expect(noAlice.rooms.join[roomId].timeline.events.every((e: any) => e.sender === bob.userId)).toBe(true);
    const notTypes = await sync(bob, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { not_types: ["m.room.*"], limit: 50 } } }),
    });
    expect(notTypes.rooms.join[roomId].timeline.events.map((e: any) => e.type)).toEqual([
      "org.example.custom",
    ]);
    const two = await sync(bob, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 2 } } }),
    });
    expect(two.rooms.join[roomId].timeline.events).toHaveLength(2);
    expect(two.rooms.join[roomId].timeline.limited).toBe(true);
    const excluded = await sync(bob, { filter: JSON.stringify({ room: { not_rooms: [roomId] } }) });
    expect(excluded.rooms.join[roomId]).toBeUndefined();
    const fields = await sync(bob, {
      filter: JSON.stringify({ event_fields: ["type", "content.body"], room: { rooms: [roomId] } }),
    });
    const msg = fields.rooms.join[roomId].timeline.events.find((e: any) => e.type === "m.room.message");
    expect(msg).toEqual({ type: "m.room.message", content: { body: "from alice" } });

    // A stored filter by ID.
    const created = await bob.post(`/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/filter`, {
      room: { rooms: [roomId], timeline: { limit: 1 } },
    });
    expect(created.status).toBe(200);
    const byId = await sync(bob, { filter: created.body.filter_id });
    expect(Object.keys(byId.rooms.join)).toEqual([roomId]);
    expect(byId.rooms.join[roomId].timeline.events).toHaveLength(1);

    const badJson = await bob.get("/_matrix/client/v3/sync?filter=%7Bnope");
    expect(badJson.status).toBe(400);
    expect(badJson.body.errcode).toBe("M_INVALID_PARAM");
    const badShape = await bob.get(
      `/_matrix/client/v3/sync?filter=${encodeURIComponent('{"room":{"timeline":{"limit":"x"}}}')}`,
    );
    expect(badShape.status).toBe(400);
    expect(badShape.body.errcode).toBe("M_INVALID_PARAM");
    const unknownId = await bob.get("/_matrix/client/v3/sync?filter=nosuchfilter");
    expect(unknownId.status).toBe(400);
  });

  it("lazy-loading members: only timeline senders, self and heroes in state", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", name: "lazy" });
    const carol = await registerUser(server, "carol_ll");
    const dave = await registerUser(server, "dave_ll");
    await join(bob, roomId);
    await join(carol, roomId);
    await join(dave, roomId);
    for (let i = 0; i < 5; i++) await send(alice, roomId, `a${i}`);
    await send(carol, roomId, "c");
    const lazy = { room: { rooms: [roomId], timeline: { limit: 3 }, state: { lazy_load_members: true } } };
    const res = await sync(bob, { filter: JSON.stringify(lazy) });
    const room = res.rooms.join[roomId];
    const members = room.state.events
      .filter((e: any) => e.type === "m.room.member")
      .map((e: any) => e.state_key);
    expect(new Set(members)).toEqual(new Set([alice.userId, carol.userId, bob.userId]));
    expect(room.summary["m.joined_member_count"]).toBe(4);
    const full = await sync(bob, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 3 } } }),
    });
    const allMembers = full.rooms.join[roomId].state.events.filter((e: any) => e.type === "m.room.member");
    expect(allMembers).toHaveLength(4);
  });

  it("unnamed rooms get heroes in the summary, and their member events when lazy-loading", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    for (let i = 0; i < 12; i++) await send(bob, roomId, `h${i}`);
    const lazy = { room: { rooms: [roomId], timeline: { limit: 2 }, state: { lazy_load_members: true } } };
    const res = await sync(bob, { filter: JSON.stringify(lazy) });
    const room = res.rooms.join[roomId];
    expect(room.summary["m.heroes"]).toEqual([alice.userId]);
    expect(room.summary["m.joined_member_count"]).toBe(2);
    const members = room.state.events
      .filter((e: any) => e.type === "m.room.member")
      .map((e: any) => e.state_key);
    expect(new Set(members)).toEqual(new Set([alice.userId, bob.userId]));
  });

  it("invites appear in rooms.invite with stripped state; joining moves the room to join", async () => {
    const roomId = await createRoom(alice, { name: "Secret club", preset: "private_chat" });
    const token = (await sync(bob)).next_batch;
    await invite(alice, roomId, bob.userId);
    const res = await sync(bob, { since: token });
    const inv = res.rooms.invite[roomId];
    expect(inv).toBeDefined();
    const events = inv.invite_state.events;
    for (const e of events) expect(Object.keys(e).sort()).toEqual(["content", "sender", "state_key", "type"]);
    const types = events.map((e: any) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.join_rules");
    expect(events.find((e: any) => e.type === "m.room.name").content.name).toBe("Secret club");
    const me = events.find((e: any) => e.type === "m.room.member" && e.state_key === bob.userId);
    expect(me.content.membership).toBe("invite");
    expect(me.sender).toBe(alice.userId);
    expect(res.rooms.join[roomId]).toBeUndefined();

    const again = await sync(bob, { since: res.next_batch });
    expect(again.rooms.invite[roomId]).toBeUndefined();

    await join(bob, roomId);
    const joined = await sync(bob, { since: res.next_batch });
    expect(joined.rooms.invite[roomId]).toBeUndefined();
    const room = joined.rooms.join[roomId];
    // Newly joined: the full state arrives (state + timeline together hold the create event).
    const all = [...room.state.events, ...room.timeline.events].map((e: any) => e.type);
    expect(all).toContain("m.room.create");
    expect(all).toContain("m.room.name");
  });

  it("leaving: the room appears in rooms.leave once, with the timeline up to the leave", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const token = (await sync(bob)).next_batch;
    await send(alice, roomId, "before leave");
    await leave(bob, roomId);
    await send(alice, roomId, "after leave");
    const res = await sync(bob, { since: token });
    expect(res.rooms.join[roomId]).toBeUndefined();
    const left = res.rooms.leave[roomId];
    expect(left).toBeDefined();
    expect(bodies(left.timeline.events)).toEqual(["before leave"]);
    const last = left.timeline.events[left.timeline.events.length - 1];
    expect(last.type).toBe("m.room.member");
    expect(last.content.membership).toBe("leave");
    const again = await sync(bob, { since: res.next_batch });
    expect(again.rooms.leave[roomId]).toBeUndefined();
    // Initial sync: only with include_leave.
    const initial = await sync(bob);
    expect(initial.rooms.leave[roomId]).toBeUndefined();
    const withLeave = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(withLeave.rooms.leave[roomId]).toBeDefined();
    expect(bodies(withLeave.rooms.leave[roomId].timeline.events)).not.toContain("after leave");
  });

  it("a rejected invite appears in rooms.leave without the room's history", async () => {
    const roomId = await createRoom(alice, { preset: "private_chat" });
    await send(alice, roomId, "private");
    await invite(alice, roomId, bob.userId);
    const token = (await sync(bob)).next_batch;
    await leave(bob, roomId);
    const res = await sync(bob, { since: token });
    const left = res.rooms.leave[roomId];
    expect(left).toBeDefined();
    expect(bodies(left.timeline.events)).toEqual([]);
    expect(left.state.events).toEqual([]);
  });

  it("full_state returns all state even with a since token", async () => {
    const roomId = await createRoom(alice, { name: "fs" });
    const token = (await sync(alice)).next_batch;
    const res = await sync(alice, {
      since: token,
      full_state: true,
      filter: JSON.stringify({ room: { rooms: [roomId] } }),
    });
    const types = res.rooms.join[roomId].state.events.map((e: any) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.name");
  });

  it("refuses bad input", async () => {
    for (const since of ["nope", "s", "s1_x", "t1_2", "s99999999999999999"]) {
      const res = await alice.get(`/_matrix/client/v3/sync?since=${since}`);
      expect(res.status, since).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
    const badTimeout = await alice.get("/_matrix/client/v3/sync?timeout=abc");
    expect(badTimeout.body.errcode).toBe("M_INVALID_PARAM");
    const badPresence = await alice.get("/_matrix/client/v3/sync?set_presence=dancing");
    expect(badPresence.body.errcode).toBe("M_INVALID_PARAM");
    const ok = await alice.get("/_matrix/client/v3/sync?set_presence=offline");
    expect(ok.status).toBe(200);
    const anon = await alice
      .as("")
      .request("GET", "/_matrix/client/v3/sync", undefined, { authorization: "" });
    expect(anon.status).toBe(401);
  });
});

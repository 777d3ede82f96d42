import type { ClientEvent, JoinedRoomSync, SyncResponse } from "@hearth/federation/client";
import { describe, expect, it } from "vitest";
import { TimelineEvent } from "../models/timeline.js";
import { SyncAccumulator, type SyncChange } from "./accumulator.js";

const ME = "@me:x";
let n = 0;
function ev(type: string, content: Record<string, unknown>, extra: Partial<ClientEvent> = {}): ClientEvent {
  n++;
  return { event_id: `$e${n}`, type, sender: ME, origin_server_ts: n, content, ...extra };
}
function member(userId: string, membership: string, displayname?: string): ClientEvent {
  return ev(
    "m.room.member",
    { membership, ...(displayname ? { displayname } : {}) },
    { state_key: userId, sender: userId },
  );
}
function joined(roomId: string, section: JoinedRoomSync, next = `s${n}`): SyncResponse {
  return { next_batch: next, rooms: { join: { [roomId]: section } } };
}
const kinds = (changes: SyncChange[]) => changes.map((c) => c.kind);

describe("SyncAccumulator", () => {
  it("builds rooms from a sync: state, timeline, members, counts, ephemeral, account data", () => {
    const acc = new SyncAccumulator(ME);
    const changes = acc.apply({
      next_batch: "s1",
      account_data: { events: [{ type: "m.direct", content: { "@bob:x": ["!dm:x"] } }] },
      presence: { events: [{ type: "m.presence", sender: "@bob:x", content: { presence: "online" } }] },
      rooms: {
        join: {
          "!r:x": {
            state: { events: [ev("m.room.create", { room_version: "11" }, { state_key: "" })] },
            timeline: {
              events: [
                member(ME, "join", "Me"),
                member("@bob:x", "join", "Bob"),
                ev("m.room.message", { body: "hi" }),
              ],
              prev_batch: "p1",
              limited: false,
            },
            ephemeral: {
              events: [
                { type: "m.typing", content: { user_ids: ["@bob:x"] } },
                { type: "m.receipt", content: { $e1: { "m.read": { "@bob:x": { ts: 5 } } } } },
              ],
            },
            account_data: { events: [{ type: "m.fully_read", content: { event_id: "$e1" } }] },
            unread_notifications: { notification_count: 3, highlight_count: 1 },
          },
          "!dm:x": { timeline: { events: [member(ME, "join"), member("@bob:x", "join", "Bob")] } },
        },
        invite: {
          "!inv:x": {
            invite_state: {
              events: [
                { type: "m.room.name", state_key: "", content: { name: "Party" } },
                {
                  type: "m.room.member",
                  state_key: ME,
                  sender: "@carol:x",
                  content: { membership: "invite" },
                },
              ],
            },
          },
        },
      },
    });
    expect(acc.nextBatch).toBe("s1");
    const room = acc.rooms.get("!r:x")!;
    expect(room.membership).toBe("join");
    expect(room.roomVersion).toBe("11");
    expect(room.name).toBe("Bob");
    expect(room.timeline.map((e) => e.type)).toEqual(["m.room.member", "m.room.member", "m.room.message"]);
    expect(room.lastMessage?.content.body).toBe("hi");
    expect(room.typingUserIds).toEqual(["@bob:x"]);
    expect(room.receipts.get("@bob:x")).toMatchObject({ eventId: "$e1", ts: 5, type: "m.read" });
    expect(room.fullyReadEventId).toBe("$e1");
    expect(room.unread).toEqual({ notificationCount: 3, highlightCount: 1 });
    expect(room.isDirect).toBe(false);
    expect(acc.rooms.get("!dm:x")!.isDirect).toBe(true);
    expect(acc.rooms.get("!dm:x")!.directUserId).toBe("@bob:x");
    const invite = acc.rooms.get("!inv:x")!;
    expect(invite.membership).toBe("invite");
    expect(invite.name).toBe("Party");
    expect(invite.inviter).toBe("@carol:x");
    expect(acc.presence.get("@bob:x")?.presence).toBe("online");
    expect(kinds(changes)).toContain("membership");
    expect(changes.filter((c) => c.kind === "timeline")).toHaveLength(5);
  });

  it("leaves and re-joins, and a leave section's timeline is applied", () => {
    const acc = new SyncAccumulator(ME);
    acc.apply(joined("!r:x", { timeline: { events: [member(ME, "join")] } }));
    const changes = acc.apply({
      next_batch: "s2",
      rooms: { leave: { "!r:x": { timeline: { events: [member(ME, "ban")] } } } },
    });
    expect(acc.rooms.get("!r:x")!.membership).toBe("ban");
    expect(changes).toContainEqual({
      kind: "membership",
      roomId: "!r:x",
      membership: "ban",
      previous: "join",
    });
  });

  it("round-trips through a snapshot; pending local echoes come back failed", () => {
    const acc = new SyncAccumulator(ME);
    acc.apply({
      ...joined("!r:x", {
        state: { events: [ev("m.room.name", { name: "Snap" }, { state_key: "" })] },
        timeline: { events: [member(ME, "join"), ev("m.room.message", { body: "a" })], prev_batch: "p0" },
        summary: { "m.heroes": ["@bob:x"], "m.joined_member_count": 2 },
        ephemeral: {
          events: [{ type: "m.receipt", content: { $x: { "m.read": { "@bob:x": { ts: 7 } } } } }],
        },
      }),
      account_data: { events: [{ type: "m.direct", content: { "@bob:x": ["!r:x"] } }] },
    });
    acc.apply(
      joined(
        "!r:x",
        { timeline: { events: [ev("m.room.message", { body: "b" })], limited: true, prev_batch: "gap" } },
        "s9",
      ),
    );
    const room = acc.rooms.get("!r:x")!;
    room.liveTimeline.addLocalEcho(
      new TimelineEvent(ev("m.room.message", { body: "c" }, { event_id: "~t" }), {
        txnId: "t",
        status: "pending",
        synced: false,
      }),
    );
    const copy = SyncAccumulator.restore(JSON.parse(JSON.stringify(acc.snapshot())));
    const r2 = copy.rooms.get("!r:x")!;
    expect(copy.nextBatch).toBe("s9");
    expect(r2.name).toBe("Snap");
    expect(r2.isDirect).toBe(true);
    expect(r2.summary.heroes).toEqual(["@bob:x"]);
    expect(r2.receipts.get("@bob:x")?.eventId).toBe("$x");
    expect(r2.liveTimeline.segments.map((s) => s.prevBatch)).toEqual(["p0", "gap"]);
    expect(r2.timeline.map((e) => e.content.body ?? e.type)).toEqual(["m.room.member", "a", "b", "c"]);
    const echo = r2.liveTimeline.pending[0]!;
    expect(echo.status).toBe("failed");
    expect(echo.txnId).toBe("t");
  });

  it("persists the newest events of a long timeline, cut where a pagination token is known", () => {
    const acc = new SyncAccumulator(ME);
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => ev("m.room.message", { body: `${batch}.${i}` }));
      acc.apply(joined("!r:x", { timeline: { events, prev_batch: `p${batch}`, limited: batch === 2 } }));
    }
    const room = acc.rooms.get("!r:x")!;
    expect(room.liveTimeline.segments).toHaveLength(2);
    const snap = acc.snapshot(150);
    const [segment] = snap.rooms[0]!.segments;
    expect(snap.rooms[0]!.segments).toHaveLength(1);
    // The live segment is the third batch (limited), 100 events, from its prev_batch.
    expect(segment!.prevBatch).toBe("p2");
    expect(segment!.events).toHaveLength(100);
    // Cut inside a segment, at the second batch's start.
    const acc2 = new SyncAccumulator(ME);
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => ev("m.room.message", { body: `${batch}.${i}` }));
      acc2.apply(joined("!r:x", { timeline: { events, prev_batch: `q${batch}` } }));
    }
    const snap2 = acc2.snapshot(250);
    expect(snap2.rooms[0]!.segments.map((s) => [s.prevBatch, s.events.length, s.tokens])).toEqual([
      ["q1", 200, [[100, "q2"]]],
    ]);
    const restored = SyncAccumulator.restore(JSON.parse(JSON.stringify(snap2)));
    const t = restored.rooms.get("!r:x")!.liveTimeline;
    expect(t.nextPagination()?.token).toBe("q1");
    expect(restored.snapshot(150).rooms[0]!.segments[0]!.prevBatch).toBe("q2");
    // Everything fits: nothing is cut.
    expect(acc2.snapshot(1000).rooms[0]!.segments[0]!.events).toHaveLength(300);
  });
});

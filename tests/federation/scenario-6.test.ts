/**
 * Scenario 6 (federation issue): "Backfill: a server joining late paginates history from before its
 * join (`/messages` with `dir=b` past the join event returns the earlier messages, fetched via
 * federation `/backfill`)."
 *
 * hs2 holds nothing of the room before Bob's join (`send_join` gives it the state and auth chain,
 * not the timeline), so every earlier message Bob reads came over `/backfill` from hs1. The room is
 * `shared` history visibility (the `public_chat` preset), so Bob may see it all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allMessages, type ClientEvent, createRoom, expectStatus, sendText } from "../support/matrix.js";
import { eventually, FederationCluster } from "./harness.js";
import { enc, waitForMembers } from "./scenario-helpers.js";

/** Messages sent before Bob joins: more than one `/messages` page and one `/backfill` request. */
const EARLY = 60;

describe("scenario 6: a late joiner paginates history from before its join", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 30 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("/messages dir=b past the join returns the earlier messages, backfilled over federation", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const roomId = await createRoom(alice, { preset: "public_chat", name: "History" });
    const early: string[] = [];
    for (let i = 0; i < EARLY; i++) early.push(await sendText(alice, roomId, `early ${i}`, `s6-${i}`));

    expectStatus(
      "bob joins",
      await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.name)}`, {}),
    );
    await waitForMembers([alice, bob], roomId, [alice.userId, bob.userId]);
    const late = await sendText(alice, roomId, "after bob joined", "s6-late");
    await eventually("bob's server to receive the late message", async () => {
      const res = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(late)}`);
      return res.status === 200;
    });

    // Page backwards from the end in small pages, through Bob's join and past it.
    const seen: ClientEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < 100; page++) {
      const q = new URLSearchParams({ dir: "b", limit: "10" });
      if (from) q.set("from", from);
      const body = expectStatus(
        "bob's /messages",
        await bob.get<{ chunk: ClientEvent[]; end?: string }>(
          `/_matrix/client/v3/rooms/${enc(roomId)}/messages?${q}`,
        ),
      );
      seen.push(...body.chunk);
      if (!body.end || body.chunk.length === 0) break;
      from = body.end;
    }
    const ids = seen.map((e) => e.event_id);
    const bobsJoin = seen.findIndex((e) => e.type === "m.room.member" && e.state_key === bob.userId);
    expect(bobsJoin, "bob's join in the pages").toBeGreaterThanOrEqual(0);
    expect(ids[0], "the newest message first").toBe(late);
    // Everything before the join, newest first, down to the room's creation.
    const earlier = seen.slice(bobsJoin + 1).filter((e) => e.type === "m.room.message");
    expect(earlier.map((e) => e.event_id)).toEqual([...early].reverse());
    expect(seen.at(-1)?.type, "pagination reaches the room's creation").toBe("m.room.create");

    // And in the same order as on hs1.
    const onHs1 = (await allMessages(alice, roomId)).map((e) => e.event_id);
    const onHs2 = (await allMessages(bob, roomId)).map((e) => e.event_id);
    expect(onHs2).toEqual(onHs1);
  }, 60_000);
});

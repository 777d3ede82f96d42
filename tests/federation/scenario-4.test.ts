/**
 * Scenario 4 (federation issue): "Partition: cut hs3 off; both sides send messages and make
 * conflicting state changes (topic, power levels, a ban on one side, a join on the other). Heal. All
 * three converge to the identical resolved state and message set."
 *
 * During the partition hs1+hs2 (side A) and hs3 (side B) each extend the room's DAG on their own.
 * After healing, the senders retry, the receivers fetch the other side's events with
 * `/get_missing_events`, and each server's current state is the resolution (v2) over its forward
 * extremities; a new event from each side afterwards merges the two branches. Checked: identical
 * `GET /rooms/{roomId}/state` (event IDs) and message sets on all three, and the outcome state
 * resolution fixes: the ban of Dave (a power event by a room admin) beats his join on the other side.
 *
 * Dave sends nothing after his join: on side A his join is soft-failed (he is banned there), and so
 * would be his messages, which hs3 alone would then show.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, expectStatus, sendText } from "../support/matrix.js";
import { FederationCluster } from "./harness.js";
import { enc, putState, stateContent, waitForConvergence, waitForMembers } from "./scenario-helpers.js";

/** Messages sent on each side during the partition, beyond the state changes. */
const SIDE_MESSAGES = 30;

describe("scenario 4: a partition heals into one resolved state", () => {
  const cluster = new FederationCluster({ nodes: 3, firstHost: 22 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("both sides diverge while hs3 is cut off; after healing all three converge", async () => {
    const [hs1, hs2, hs3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const carol = await cluster.register(hs3, "carol");
    const dave = await cluster.register(hs3, "dave");
    const clients = [alice, bob, carol];

    const roomId = await createRoom(alice, {
      preset: "public_chat",
      topic: "before the partition",
      power_level_content_override: {
        users: { [alice.userId]: 100, [bob.userId]: 50, [carol.userId]: 100 },
      },
    });
    for (const c of [bob, carol]) {
      expectStatus(
        `${c.userId} joins`,
        await c.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.name)}`, {}),
      );
    }
    await waitForMembers(clients, roomId, [alice.userId, bob.userId, carol.userId]);
    const sent = [await sendText(alice, roomId, "before the partition", "s4-a0")];
    await waitForConvergence(clients, roomId, 10_000, sent);
    const pl = (await stateContent(alice, roomId, "m.room.power_levels"))!;

    cluster.isolate(hs3);

    // Side A (hs1 + hs2): messages, a topic, power levels (Bob promoted), and a ban of Dave.
    sent.push(await sendText(alice, roomId, "side A: alice", "s4-a1"));
    sent.push(await sendText(bob, roomId, "side A: bob", "s4-b1"));
    await putState(alice, roomId, "m.room.topic", { topic: "side A's topic" });
    await putState(alice, roomId, "m.room.power_levels", {
      ...pl,
      users: { ...(pl.users as object), [bob.userId]: 100 },
    });
    expectStatus(
      "alice bans dave",
      await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/ban`, {
        user_id: dave.userId,
        reason: "spam",
      }),
    );
    sent.push(await sendText(bob, roomId, "side A: bob again", "s4-b2"));
    // More than one `/get_missing_events` page (20) on each side.
    for (let i = 0; i < SIDE_MESSAGES; i++) {
      const c = i % 2 === 0 ? alice : bob;
      sent.push(await sendText(c, roomId, `side A: ${i}`, `s4-a-many-${i}`));
    }

    // Side B (hs3): messages, another topic, other power levels, and Dave's join.
    sent.push(await sendText(carol, roomId, "side B: carol", "s4-c1"));
    await putState(carol, roomId, "m.room.topic", { topic: "side B's topic" });
    await putState(carol, roomId, "m.room.power_levels", { ...pl, state_default: 40 });
    expectStatus("dave joins on hs3", await dave.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`, {}));
    sent.push(await sendText(carol, roomId, "side B: carol again", "s4-c2"));
    for (let i = 0; i < SIDE_MESSAGES; i++) {
      sent.push(await sendText(carol, roomId, `side B: ${i}`, `s4-c-many-${i}`));
    }

    // Each side sees its own branch only.
    await waitForConvergence([alice, bob], roomId, 10_000);
    expect((await stateContent(alice, roomId, "m.room.topic"))?.topic).toBe("side A's topic");
    expect((await stateContent(carol, roomId, "m.room.topic"))?.topic).toBe("side B's topic");
    expect((await stateContent(carol, roomId, "m.room.member", dave.userId))?.membership).toBe("join");

    cluster.healAll();
    // A new event from each side merges the branches once both have everything.
    sent.push(await sendText(alice, roomId, "after healing: alice", "s4-a2"));
    sent.push(await sendText(carol, roomId, "after healing: carol", "s4-c3"));
    const { state } = await waitForConvergence(clients, roomId, 30_000, sent);

    // The resolved state: the ban (a power event) wins over the join; the rest is one of the sides'.
    for (const c of clients) {
      expect(
        (await stateContent(c, roomId, "m.room.member", dave.userId))?.membership,
        `dave's membership on ${c.userId}'s server`,
      ).toBe("ban");
    }
    expect(state[`m.room.member|${dave.userId}`]).toBeDefined();
    const topics = await Promise.all(
      clients.map(async (c) => (await stateContent(c, roomId, "m.room.topic"))?.topic),
    );
    expect(new Set(topics).size).toBe(1);
    expect(["side A's topic", "side B's topic"]).toContain(topics[0]);

    // And the merged room still works: one more message from each side reaches everyone.
    sent.push(await sendText(bob, roomId, "merged: bob", "s4-b3"));
    sent.push(await sendText(carol, roomId, "merged: carol", "s4-c4"));
    await waitForConvergence(clients, roomId, 15_000, sent);
  }, 90_000);
});

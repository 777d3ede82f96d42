/**
 * Gossip issue, test 5: a server killed with SIGKILL while the others keep talking, then restarted,
 * holds everything it missed within 2 s of answering again — by repair (heads announced on the
 * topic, the gap fetched by the restarted server), not by retries: connections into its federation
 * listener from the others are refused throughout, so no transaction can deliver anything.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, FederationCluster } from "../federation/harness.js";
import { waitForMembers } from "../federation/scenario-helpers.js";
import { allMessages, createRoom, expectStatus, sendText } from "../support/matrix.js";

describe("gossip: repair after a crash", () => {
  const cluster = new FederationCluster({ nodes: 3, firstHost: 72, gossip: "preferred" });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("a restarted server catches up within 2 s of answering, by repair", async () => {
    const [hs1, hs2, hs3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const carol = await cluster.register(hs3, "carol");
    const roomId = await createRoom(alice, { preset: "public_chat" });
    for (const u of [bob, carol]) {
      expectStatus(
        `${u.userId} joins`,
        await u.post(
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(hs1.name)}`,
          {},
        ),
      );
    }
    await waitForMembers([alice, bob, carol], roomId, [alice.userId, bob.userId, carol.userId]);
    await sendText(carol, roomId, "before the crash", "c0");
    await eventually("alice to see carol's message", async () =>
      (await allMessages(alice, roomId)).some(
        (e) => (e.content as { body?: string }).body === "before the crash",
      ),
    );

    await cluster.kill(hs3);
    // Nothing may reach hs3 over HTTP from here on (no transaction, no retry); hs3 itself may still
    // ask the others, and gossip flows both ways.
    hs3.proxy.block(hs1.name);
    hs3.proxy.block(hs2.name);
    const missed: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [author, name] = i % 2 === 0 ? [alice, "alice"] : [bob, "bob"];
      missed.push(await sendText(author, roomId, `${name} ${i} while hs3 is down`, `m${i}`));
    }
    await cluster.restart(hs3);
    const answering = Date.now();
    await eventually(
      "hs3 to hold every message it missed",
      async () => {
        const held = new Set((await allMessages(carol, roomId)).map((e) => e.event_id));
        return missed.every((id) => held.has(id));
      },
      10_000,
      50,
    );
    const caughtUp = Date.now() - answering;
    console.log(`gossip repair: hs3 caught up ${missed.length} events ${caughtUp} ms after answering`);
    expect(caughtUp).toBeLessThanOrEqual(2_000);
  });
});

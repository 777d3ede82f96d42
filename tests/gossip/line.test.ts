/**
 * Gossip issue, test 1 (line topology): three servers; the room lives on hs2; users on hs1 and hs3
 * join through hs2; then hs1 and hs3 lose every route to each other (HTTP and libp2p alike) while both
 * reach hs2, whose user says nothing. Users on hs1 and hs3 each send five messages: each sees all of
 * the other's within 15 s (a single message within 2 s), and all three servers hold identical room
 * state. With `gossip: off` the same scenario does not deliver: hs2 relays nothing over HTTP, so the
 * test proves the relay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, FederationCluster } from "../federation/harness.js";
import { stateMap, waitForMembers } from "../federation/scenario-helpers.js";
import { allMessages, createRoom, expectStatus, sendText, type UserClient } from "../support/matrix.js";

async function lineScenario(cluster: FederationCluster) {
  const [hs1, hs2, hs3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
  const alice = await cluster.register(hs1, "alice");
  const bob = await cluster.register(hs2, "bob");
  const carol = await cluster.register(hs3, "carol");
  const roomId = await createRoom(bob, { preset: "public_chat", name: "Line" });
  for (const u of [alice, carol]) {
    expectStatus(
      `${u.userId} joins via hs2`,
      await u.post(
        `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(hs2.name)}`,
        {},
      ),
    );
  }
  await waitForMembers([alice, bob, carol], roomId, [alice.userId, bob.userId, carol.userId]);
  // hs1 and hs3 lose every route to each other; both still reach hs2.
  cluster.cut(hs1, hs3);
  return { alice, bob, carol, roomId };
}

/** The bodies of the messages `reader` sees in the room. */
async function bodies(reader: UserClient, roomId: string): Promise<string[]> {
  return (await allMessages(reader, roomId))
    .filter((e) => e.type === "m.room.message")
    .map((e) => String((e.content as { body?: unknown }).body));
}

describe.each([
  ["preferred", 60],
  ["alongside", 64],
] as const)("gossip: line topology, %s", (mode, firstHost) => {
  const cluster = new FederationCluster({ nodes: 3, firstHost, gossip: mode });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("relays messages between servers that cannot reach each other, and all converge", async () => {
    const { alice, bob, carol, roomId } = await lineScenario(cluster);

    // One message first: within 2 s on the other side.
    const started = Date.now();
    await sendText(alice, roomId, "alice 0", "a0");
    await eventually(
      "carol to see alice 0",
      async () => (await bodies(carol, roomId)).includes("alice 0"),
      2_000,
      20,
    );
    const single = Date.now() - started;

    const fromAlice = ["alice 1", "alice 2", "alice 3", "alice 4"];
    const fromCarol = ["carol 0", "carol 1", "carol 2", "carol 3", "carol 4"];
    const burst = Date.now();
    await Promise.all([
      (async () => {
        for (const [i, b] of fromAlice.entries()) await sendText(alice, roomId, b, `a${i + 1}`);
      })(),
      (async () => {
        for (const [i, b] of fromCarol.entries()) await sendText(carol, roomId, b, `c${i}`);
      })(),
    ]);
    const all = ["alice 0", ...fromAlice, ...fromCarol].sort();
    for (const reader of [alice, bob, carol]) {
      await eventually(
        `${reader.userId} to see all ten messages`,
        async () => JSON.stringify((await bodies(reader, roomId)).sort()) === JSON.stringify(all),
        15_000,
        50,
      );
    }
    const everything = Date.now() - burst;
    // Identical room state on all three servers.
    await eventually(
      "identical state on all three servers",
      async () => {
        const [a, b, c] = await Promise.all([alice, bob, carol].map((u) => stateMap(u, roomId)));
        return JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(b) === JSON.stringify(c);
      },
      15_000,
      100,
    );
    console.log(`gossip line (${mode}): first message ${single} ms, all ten everywhere ${everything} ms`);
    expect(single).toBeLessThanOrEqual(2_000);
  });
});

describe("gossip: line topology, off", () => {
  const cluster = new FederationCluster({ nodes: 3, firstHost: 68, gossip: "off" });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("does not deliver between servers that cannot reach each other (nobody relays over HTTP)", async () => {
    const { alice, bob, carol, roomId } = await lineScenario(cluster);
    for (let i = 0; i < 5; i++) {
      await sendText(alice, roomId, `alice ${i}`, `a${i}`);
      await sendText(carol, roomId, `carol ${i}`, `c${i}`);
    }
    // hs2 has everything (both reach it)...
    await eventually(
      "bob to see all ten messages",
      async () => (await bodies(bob, roomId)).length === 10,
      15_000,
      100,
    );
    // ...and nothing crosses it: after as long again, hs3 still lacks hs1's messages and vice versa.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await bodies(carol, roomId)).filter((b) => b.startsWith("alice"))).toEqual([]);
    expect((await bodies(alice, roomId)).filter((b) => b.startsWith("carol"))).toEqual([]);
  });
});

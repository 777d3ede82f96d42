/**
 * Scenarios 3 and 4 of the federation issue with a real Synapse as one of the three servers (see
 * `synapse.ts`; skipped without one): two Hearth nodes and a Synapse share a room created on Hearth.
 *
 * - Partition: the Synapse is cut off from both Hearths; each side sends messages and makes
 *   conflicting state changes (topic on both sides, a ban and a power-level change on the Hearth
 *   side, a new member joining on the Synapse side). After healing, all three must report the
 *   identical resolved state and message set: Hearth and Synapse must agree on state resolution v2
 *   and fill each other's gaps (Synapse's catch-up sends only its latest events; the receiver asks
 *   `get_missing_events`).
 * - No owner: the room's creator (hs1) is killed with SIGKILL; hs2 and Synapse keep chatting and
 *   change the topic; hs1 restarts and catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, FederationCluster } from "../federation/harness.js";
import { enc, joinedMembers, putState, waitForConvergence } from "../federation/scenario-helpers.js";
import { allMessages, createRoom, expectStatus, sendText } from "../support/matrix.js";
import { findSynapse, SynapseServer } from "./synapse.js";

const synapse = findSynapse();
const missing = "missing" in synapse ? synapse.missing : undefined;

const CONVERGE_MS = 60_000;

describe.skipIf(missing !== undefined)("partition and crash with a real Synapse in the room", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 42 });
  let syn: SynapseServer;
  afterAll(async () => {
    await syn?.keepHearthLogs(cluster.nodes);
    await syn?.cleanup();
    await cluster.cleanup();
  });
  beforeAll(async () => {
    await cluster.start();
    if ("missing" in synapse) return;
    syn = new SynapseServer(synapse, "127.0.0.44");
    await syn.start(cluster.issueCertificate("127.0.0.44"), (port) =>
      cluster.externalProxy("127.0.0.44", port),
    );
    cluster.addPeer(syn.name, () => syn.pid);
  }, 180_000);

  it("scenario 1 with Synapse in the middle: joins by alias and via Synapse, one order everywhere", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const ann = await cluster.register(hs1, "ann");
    const dan = await cluster.register(hs2, "dan");
    const sid = await syn.register("sid");
    const roomId = await createRoom(ann, {
      preset: "public_chat",
      room_alias_name: "middle",
      room_version: "10",
    });
    expectStatus(
      "sid joins by alias",
      await sid.post(`/_matrix/client/v3/join/${enc(`#middle:${hs1.name}`)}`, {}),
    );
    // dan joins through the Synapse, which must make and accept the join for a room it did not create.
    expectStatus(
      "dan joins via synapse",
      await dan.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(syn.name)}`, {}),
    );
    // Each message reaches all three servers before the next is sent, as in scenario 1 (messages
    // sent concurrently have no order the servers must agree on).
    const sent: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const c of [ann, sid, dan]) {
        const id = await sendText(c, roomId, `${c.userId} round ${round}`, `m-${round}`);
        sent.push(id);
        for (const reader of [ann, sid, dan]) {
          await eventually(
            `${reader.userId} to hold ${id}`,
            async () => (await allMessages(reader, roomId)).some((e) => e.event_id === id),
            20_000,
            20,
          );
        }
      }
    }
    const orders = await Promise.all(
      [ann, sid, dan].map(async (c) => (await allMessages(c, roomId)).map((e) => e.event_id)),
    );
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    expect(orders[0]).toEqual(sent);
  });

  it("converges after a partition with conflicting state, and after the creator's crash", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const sp = { name: syn.name, proxy: syn.proxy! };
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const carol = await cluster.register(hs2, "carol");
    const sam = await syn.register("sam");
    const sue = await syn.register("sue");

    const roomId = await createRoom(alice, {
      preset: "public_chat",
      room_alias_name: "split",
      room_version: "10",
    });
    for (const [who, via] of [
      [bob, hs1.name],
      [sam, hs1.name],
      [carol, hs1.name],
    ] as const) {
      expectStatus(
        `${who.userId} joins`,
        await who.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(via)}`, {}),
      );
    }
    const members = [alice, bob, carol, sam].map((c) => c.userId).sort();
    for (const c of [alice, bob, sam]) {
      await eventually(
        `${c.userId} to see four members`,
        async () => {
          const m = (await joinedMembers(c, roomId)).sort();
          return JSON.stringify(m) === JSON.stringify(members);
        },
        20_000,
      );
    }
    const levels = expectStatus(
      "power levels",
      await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`),
    );
    await putState(alice, roomId, "m.room.power_levels", {
      ...levels,
      users: { ...(levels.users as object), [sam.userId]: 50, [bob.userId]: 50 },
    });
    await waitForConvergence([alice, bob, sam], roomId, CONVERGE_MS);

    // Partition: Synapse alone on one side.
    cluster.cut(sp, hs1);
    cluster.cut(sp, hs2);
    const sent: string[] = [];
    await putState(alice, roomId, "m.room.topic", { topic: "decided on the hearth side" });
    expectStatus(
      "alice bans carol",
      await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/ban`, { user_id: carol.userId }),
    );
    for (let i = 0; i < 3; i++) sent.push(await sendText(bob, roomId, `hearth side ${i}`, `hp-${i}`));
    await putState(sam, roomId, "m.room.topic", { topic: "decided on the synapse side" });
    expectStatus(
      "sue joins on the synapse side",
      await sue.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}),
    );
    for (let i = 0; i < 3; i++) sent.push(await sendText(sam, roomId, `synapse side ${i}`, `sp-${i}`));
    sent.push(await sendText(sue, roomId, "hello, I am new", "sue-1"));

    cluster.heal(sp, hs1);
    cluster.heal(sp, hs2);
    // Something new on each side after healing, as in a real conversation.
    sent.push(await sendText(alice, roomId, "anyone there?", "after-1"));
    sent.push(await sendText(sam, roomId, "we are back", "after-2"));
    const converged = await waitForConvergence([alice, bob, sam], roomId, CONVERGE_MS);
    for (const id of sent) expect(converged.messages).toContain(id);
    const joined = (await joinedMembers(alice, roomId)).sort();
    expect(joined).toEqual([alice, bob, sam, sue].map((c) => c.userId).sort());

    // No owner: the creator's server dies; the others go on; it comes back and catches up.
    await cluster.kill(hs1);
    await putState(sam, roomId, "m.room.topic", { topic: "changed while hs1 was down" });
    const whileDown = [
      await sendText(bob, roomId, "hs1 is down", "down-1"),
      await sendText(sam, roomId, "still here", "down-2"),
    ];
    await eventually(
      "hs2 to hold synapse's message",
      async () => {
        const res = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(whileDown[1]!)}`);
        return res.status === 200;
      },
      20_000,
    );
    await cluster.restart(hs1);
    const after = await waitForConvergence([alice, bob, sam], roomId, CONVERGE_MS);
    for (const id of whileDown) expect(after.messages).toContain(id);
    const topic = expectStatus(
      "topic on hs1",
      await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`),
    );
    expect(topic.topic).toBe("changed while hs1 was down");
  }, 240_000);
});

/**
 * Scenario 3 (federation issue): "No owner: kill -9 hs1, the room's creator. hs2 and hs3 keep
 * chatting and change the topic. hs1 restarts and catches up; all three report identical current
 * state and identical message sets."
 *
 * A Matrix room belongs to no server: once hs2 and hs3 hold its state they carry on without hs1.
 * While hs1 is down their senders fail and back off; when hs1 comes back it must catch up quickly
 * (not after a backoff of minutes): its first contact resets their backoff, they resend what hs1
 * missed, and hs1 fills the gaps between those events and what it had with `/get_missing_events`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, expectStatus, sendText } from "../support/matrix.js";
import { FederationCluster } from "./harness.js";
import { enc, putState, stateContent, waitForConvergence, waitForMembers } from "./scenario-helpers.js";

/**
 * How soon after its restart hs1 must have caught up. Without the restarted server's announcement
 * (an empty transaction to its peers, which resets their backoff) hs2 and hs3 would next retry
 * some 5–8 s after the restart.
 */
const CATCH_UP_MS = 5_000;

/** Messages each of hs2 and hs3 sends while hs1 is down (more than one `/get_missing_events` page). */
const MISSED_PER_SERVER = 12;

describe("scenario 3: the room survives its creator's crash", () => {
  const cluster = new FederationCluster({ nodes: 3, firstHost: 18 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("hs2 and hs3 carry on without hs1; hs1 restarts and catches up", async () => {
    const [hs1, hs2, hs3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const carol = await cluster.register(hs3, "carol");
    const clients = [alice, bob, carol];

    const roomId = await createRoom(alice, {
      preset: "public_chat",
      name: "No owner",
      topic: "before the crash",
      power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50 } },
    });
    for (const c of [bob, carol]) {
      expectStatus(
        `${c.userId} joins`,
        await c.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.name)}`, {}),
      );
    }
    await waitForMembers(clients, roomId, [alice.userId, bob.userId, carol.userId]);
    const sent = [await sendText(alice, roomId, "before the crash", "s3-a1")];
    await waitForConvergence(clients, roomId, 10_000, sent);

    // kill -9 the room's creator.
    await cluster.kill(hs1);

    // hs2 and hs3 keep chatting and change the topic (interleaved, so the DAG has both servers).
    for (let i = 0; i < MISSED_PER_SERVER; i++) {
      sent.push(await sendText(bob, roomId, `bob ${i} while hs1 is down`, `s3-b${i}`));
      sent.push(await sendText(carol, roomId, `carol ${i} while hs1 is down`, `s3-c${i}`));
    }
    await putState(bob, roomId, "m.room.topic", { topic: "changed while hs1 was down" });
    await waitForConvergence([bob, carol], roomId, 10_000, sent);
    // Long enough for the senders of hs2 and hs3 to fail several times and back off.
    await new Promise((r) => setTimeout(r, 8_000));

    await cluster.restart(hs1);
    const restartedAt = Date.now();
    const { state } = await waitForConvergence(clients, roomId, CATCH_UP_MS, sent);
    const caughtUpMs = Date.now() - restartedAt;
    expect(caughtUpMs).toBeLessThan(CATCH_UP_MS);
    expect(Object.keys(state)).toContain("m.room.topic|");
    for (const c of clients) {
      expect(await stateContent(c, roomId, "m.room.topic")).toEqual({ topic: "changed while hs1 was down" });
    }

    // And the room works again from hs1.
    sent.push(await sendText(alice, roomId, "back again", "s3-a2"));
    await waitForConvergence(clients, roomId, 10_000, sent);
  }, 60_000);
});

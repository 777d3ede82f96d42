/**
 * Scenario 1 (federation issue): "Alice@hs1 creates a public room with an alias; Bob@hs2 joins by
 * alias; Carol@hs3 joins by room ID via hs2. Each sends; all three see all messages, in the same
 * order in /messages, within 1 s."
 *
 * DEPENDS ON the federated join flow (make_join/send_join both ways, remote alias resolution) and
 * the outbound sender being wired into the running server (`onPersisted` → `enqueueRoomEvents`,
 * and the resident server relaying a `send_join` event to the room's other servers); it fails until
 * both are in place.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allMessages, createRoom, expectStatus, sendText, type UserClient } from "../support/matrix.js";
import { eventually, FederationCluster } from "./harness.js";

/** How soon every server must show a message (the bound). */
const DELIVERY_MS = 1_000;

describe("scenario 1: a public room across three servers", () => {
  const cluster = new FederationCluster({ nodes: 3, firstHost: 10 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("joins by alias and by room ID via another server; everyone sees every message in one order", async () => {
    const [hs1, hs2, hs3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    const carol = await cluster.register(hs3, "carol");

    const roomId = await createRoom(alice, {
      preset: "public_chat",
      visibility: "public",
      room_alias_name: "lobby",
      name: "Lobby",
    });
    const alias = `#lobby:${hs1.name}`;

    // Bob joins by alias (hs2 resolves it through hs1's directory and joins through hs1).
    const joinedByAlias = expectStatus(
      "bob joins by alias",
      await bob.post(`/_matrix/client/v3/join/${encodeURIComponent(alias)}`, {}),
    );
    expect(joinedByAlias.room_id).toBe(roomId);

    // Carol joins by room ID through hs2 (which must relay her join to hs1).
    const joinedViaHs2 = expectStatus(
      "carol joins via hs2",
      await carol.post(
        `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(hs2.name)}`,
        {},
      ),
    );
    expect(joinedViaHs2.room_id).toBe(roomId);

    const clients: UserClient[] = [alice, bob, carol];
    const everyone = [alice.userId, bob.userId, carol.userId].sort();
    for (const c of clients) {
      let seen: string[] = [];
      await eventually(
        `${c.userId}'s server to see all three members joined`,
        async () => {
          const res = await c.get<{ joined: Record<string, unknown> }>(
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
          );
          seen = res.status === 200 ? Object.keys(res.body.joined).sort() : [`HTTP ${res.status}`];
          return JSON.stringify(seen) === JSON.stringify(everyone);
        },
        10_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last seen: ${seen.join(", ")}`);
      });
    }

    // Each sends; every server shows each message within DELIVERY_MS.
    const sent: string[] = [];
    for (const [i, c] of clients.entries()) {
      const body = `hello from ${c.userId}`;
      const started = Date.now();
      const eventId = await sendText(c, roomId, body, `scenario-1-${i}`);
      sent.push(eventId);
      const latencies = await Promise.all(
        clients.map(async (reader) => {
          await eventually(
            `${reader.userId} to see ${eventId}`,
            async () => (await allMessages(reader, roomId)).some((e) => e.event_id === eventId),
            DELIVERY_MS * 5,
            20,
          );
          return Date.now() - started;
        }),
      );
      expect(Math.max(...latencies), `delivery of ${body} (ms per reader: ${latencies})`).toBeLessThanOrEqual(
        DELIVERY_MS,
      );
    }

    // The same messages in the same order on all three servers.
    const orders = await Promise.all(
      clients.map(async (c) => (await allMessages(c, roomId)).map((e) => e.event_id)),
    );
    for (const order of orders) expect(order).toEqual(sent);
  });
});

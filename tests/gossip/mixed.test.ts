/**
 * Gossip only among Hearth servers that gossip: a server with `gossip: preferred` in a room with a
 * server that does not gossip (here a Hearth with gossip off; Synapse answers the record endpoint
 * the same way, 404) still sends it every PDU over HTTP, and gets its events as before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, type TestServer } from "../../homeserver/src/testing/harness.js";
import { eventually } from "../federation/harness.js";
import { freePort, TestFederation } from "../support/forged-peer.js";

describe("gossip: a room shared with a server that does not gossip", () => {
  const fed = new TestFederation();
  let gossiping: TestServer;
  let plain: TestServer;
  let alice: Client & { userId: string };
  let bob: Client & { userId: string };

  beforeAll(async () => {
    await fed.init();
    const port = await freePort("127.0.0.90");
    gossiping = await fed.server("127.0.0.90", {
      gossip: "preferred",
      gossip_bind: `127.0.0.90:${port}`,
    });
    plain = await fed.server("127.0.0.91");
    alice = await registerUser(gossiping, "alice");
    bob = await registerUser(plain, "bob");
  }, 60_000);
  afterAll(() => fed.cleanup());

  it("delivers both ways over HTTP", async () => {
    const roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id;
    const joined = await bob.post(
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(gossiping.config.serverName)}`,
      {},
    );
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const room = encodeURIComponent(roomId);
    const fromAlice = await alice.put(`/_matrix/client/v3/rooms/${room}/send/m.room.message/a1`, {
      msgtype: "m.text",
      body: "hi bob",
    });
    const fromBob = await bob.put(`/_matrix/client/v3/rooms/${room}/send/m.room.message/b1`, {
      msgtype: "m.text",
      body: "hi alice",
    });
    await eventually(
      "bob to get alice's message",
      async () =>
        (
          await bob.get(
            `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(fromAlice.body.event_id)}`,
          )
        ).status === 200,
    );
    await eventually(
      "alice to get bob's message",
      async () =>
        (
          await alice.get(
            `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(fromBob.body.event_id)}`,
          )
        ).status === 200,
    );
    // The gossiping server found no record for the other: it does not count it as a gossip peer.
    expect(gossiping.services.gossip!.takesRoom(plain.config.serverName, roomId)).toBe(false);
  });
});

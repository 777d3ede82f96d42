/**
 * Gossip issue, tests 2 and 3, with real Hearth servers in this process and forged peers:
 * - a forged PDU (bad signature; a sender of another server; a bad content hash) published into a
 *   room's topic by a peer with a valid record is rejected, never stored, never relayed, and the
 *   publishing peer's score drops;
 * - a libp2p peer that no record names, one whose record does not verify, and one whose peer ID does
 *   not match its record, are refused.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  buildGossipRecord,
  computeEventId,
  encodePduMessage,
  GOSSIP_RECORD_PATH,
  type GossipNetwork,
  generateSigningKey,
  roomTopic,
} from "@hearth/federation";
import { createLibp2pGossipNetwork } from "@hearth/federation/gossip/libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../homeserver/src/testing/harness.js";
import { type Client, registerUser } from "../../homeserver/src/testing/harness.js";
import { eventually } from "../federation/harness.js";
import { type ForgedPeer, freePort, TestFederation } from "../support/forged-peer.js";

const ROOM_VERSION = "10";

/** A libp2p node for a forged peer, listening on `host`, letting anyone in. */
async function libp2pNode(host: string): Promise<GossipNetwork> {
  return createLibp2pGossipNetwork({
    listen: { host, port: await freePort(host) },
    seed: randomBytes(32),
    meshDegree: 6,
    heartbeatMs: 100,
    maxMessageBytes: 80_000,
    allowPeer: () => true,
    messageId: (_t, data) => createHash("sha256").update(data).digest("base64"),
    validate: async () => "accept",
  });
}

/** Serves `node`'s record for `peer`, signed with `key` (default: the peer's own). */
function serveRecord(
  peer: ForgedPeer,
  node: GossipNetwork,
  options: { key?: ReturnType<typeof generateSigningKey>; peerId?: string } = {},
) {
  peer.routes.set(GOSSIP_RECORD_PATH, () =>
    buildGossipRecord({
      serverName: peer.name,
      peerId: options.peerId ?? node.peerId,
      addresses: node.listenAddresses(),
      validUntilTs: Date.now() + 3600_000,
      key: options.key ?? peer.key,
    }),
  );
}

describe("gossip: forged messages and peers", () => {
  const fed = new TestFederation();
  const nodes: GossipNetwork[] = [];
  let hs2: TestServer;
  let hs3: TestServer;
  let bob: Client & { userId: string };
  let carol: Client & { userId: string };
  let roomId: string;

  beforeAll(async () => {
    await fed.init();
    // The gossip listener's port is announced in the record: pick free ports first.
    const gossip = async (host: string) => {
      const port = await freePort(host);
      return { gossip: "preferred", gossip_bind: `${host}:${port}`, gossip_announce: `${host}:${port}` };
    };
    hs2 = await fed.server("127.0.0.80", await gossip("127.0.0.80"));
    hs3 = await fed.server("127.0.0.81", await gossip("127.0.0.81"));
    bob = await registerUser(hs2, "bob");
    carol = await registerUser(hs3, "carol");
    roomId = (
      await bob.post("/_matrix/client/v3/createRoom", { preset: "public_chat", room_version: ROOM_VERSION })
    ).body.room_id;
    const joined = await carol.post(
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(hs2.config.serverName)}`,
      {},
    );
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  }, 60_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await fed.cleanup();
  });

  const gossipOf = (s: TestServer) => s.services.gossip!.network!;

  it("rejects forged PDUs from a peer with a valid record: not stored, not relayed, the peer's score drops", async () => {
    const evil = await fed.peer("127.0.0.82");
    const node = await libp2pNode("127.0.0.82");
    nodes.push(node);
    serveRecord(evil, node);
    const eve = evil.userId("eve");
    const base = await evil.join(hs2.config.serverName, roomId, "eve", ROOM_VERSION);
    // hs2 learns evil's record from eve's join and dials it.
    await eventually(
      "hs2 to connect to the forged peer",
      () => gossipOf(hs2).connectedPeers().includes(node.peerId),
      10_000,
    );
    node.subscribe(roomTopic(roomId));
    await eventually("hs2 to see the forged peer in the topic", () =>
      gossipOf(hs2).topicPeers(roomTopic(roomId)).includes(node.peerId),
    );
    const message = (body: string, sender = eve) => ({
      room_id: roomId,
      sender,
      type: "m.room.message",
      content: { msgtype: "m.text", body },
      origin_server_ts: Date.now(),
      depth: base.depth + 1,
      prev_events: [base.joinId],
      auth_events: base.auth,
    });
    const otherKey = generateSigningKey(evil.key.keyId);
    const badSignature = evil.sign(message("bad signature"), ROOM_VERSION, evil.name, otherKey);
    const otherServer = evil.sign(message("another server's user", bob.userId), ROOM_VERSION);
    const badHash = {
      ...evil.sign(message("bad hash"), ROOM_VERSION),
      content: { msgtype: "m.text", body: "changed" },
    };
    const forged = [badSignature, otherServer, badHash];
    const topic = roomTopic(roomId);
    await eventually(
      "the forged peer to have hs2 in its mesh",
      () => node.meshPeers(topic).includes(gossipOf(hs2).peerId),
      5_000,
    );
    for (const pdu of forged) await node.publish(topic, encodePduMessage(ROOM_VERSION, pdu));
    // A good one after them: delivered and relayed (so the forged ones had their chance too).
    const good = evil.sign(message("a good one"), ROOM_VERSION);
    const goodId = computeEventId(good, ROOM_VERSION);
    await node.publish(topic, encodePduMessage(ROOM_VERSION, good));
    const room = encodeURIComponent(roomId);
    for (const reader of [bob, carol]) {
      await eventually(
        `${reader.userId} to get the good PDU`,
        async () =>
          (await reader.get(`/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(goodId)}`))
            .status === 200,
      );
    }
    for (const pdu of forged) {
      // A forged PDU never has the ID it would have had (a bad hash is redacted first, then refused).
      for (const id of [computeEventId(pdu, ROOM_VERSION)]) {
        for (const reader of [bob, carol]) {
          const res = await reader.get(`/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(id)}`);
          expect(res.status, `${reader.userId} holds ${(pdu.content as { body?: string }).body}`).toBe(404);
        }
      }
    }
    // The score is recomputed at gossipsub's heartbeat.
    await eventually(
      "hs2's score of the forged peer to drop",
      () => gossipOf(hs2).score(node.peerId) < 0,
      5_000,
    );
    // hs3 only ever got what hs2 relayed: nothing forged reached it, so hs2 is in good standing.
    expect(gossipOf(hs3).score(gossipOf(hs2).peerId)).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it("refuses a peer no record names, a record that does not verify, and a peer ID that does not match", async () => {
    const target = gossipOf(hs2);
    // 1. A libp2p node with no record at all.
    const rogue = await libp2pNode("127.0.0.83");
    nodes.push(rogue);
    await rogue.dial(target.peerId, target.listenAddresses()).catch(() => undefined);
    // 2. A server whose record is signed by a key that is not its own.
    const unsigned = await fed.peer("127.0.0.84");
    const unsignedNode = await libp2pNode("127.0.0.84");
    nodes.push(unsignedNode);
    serveRecord(unsigned, unsignedNode, { key: generateSigningKey(unsigned.key.keyId) });
    await unsigned.join(hs2.config.serverName, roomId, "mallory", ROOM_VERSION);
    // 3. A server whose record names another peer ID than its node's.
    const liar = await fed.peer("127.0.0.85");
    const liarNode = await libp2pNode("127.0.0.85");
    const decoy = await libp2pNode("127.0.0.86");
    nodes.push(liarNode, decoy);
    serveRecord(liar, liarNode, { peerId: decoy.peerId });
    await liar.join(hs2.config.serverName, roomId, "trudy", ROOM_VERSION);
    // Give hs2 time to fetch both records and try its dials, then let the refused dial in.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const n of [unsignedNode, liarNode])
      await n.dial(target.peerId, target.listenAddresses()).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    for (const [what, n] of [
      ["no record", rogue],
      ["a record that does not verify", unsignedNode],
      ["a peer ID its record does not name", liarNode],
      ["a peer ID named at another's address", decoy],
    ] as const) {
      expect(target.connectedPeers(), what).not.toContain(n.peerId);
      expect(n.connectedPeers(), what).not.toContain(target.peerId);
    }
  }, 60_000);

  it("leaves a room's topic when its last local user leaves the room", async () => {
    const topic = roomTopic(roomId);
    const hs3Peer = gossipOf(hs3).peerId;
    await eventually("hs2 to see hs3 in the topic", () => gossipOf(hs2).topicPeers(topic).includes(hs3Peer));
    expect(
      (await carol.post(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {})).status,
    ).toBe(200);
    await eventually(
      "hs3 to leave the topic",
      () => !gossipOf(hs2).topicPeers(topic).includes(hs3Peer),
      10_000,
    );
  }, 30_000);
});

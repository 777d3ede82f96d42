import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../crypto/index.js";
import type { KnownVerifyKey, Pdu } from "../events/index.js";
import { computeEventId, signEvent } from "../events/index.js";
import { createLibp2pGossipNetwork } from "./libp2p.js";
import {
  decodeGossipMessage,
  encodeHeadsMessage,
  encodePduMessage,
  GossipMessageError,
  gossipMessageId,
  MAX_GOSSIP_MESSAGE_BYTES,
  roomTopic,
  verifyHeads,
} from "./messages.js";
import type { GossipNetwork, Verdict } from "./network.js";
import {
  buildGossipRecord,
  GossipRecordError,
  MAX_RECORD_VALIDITY_MS,
  verifyGossipRecord,
} from "./record.js";

const key = generateSigningKey("ed25519:g1");
const keys = new Map<string, KnownVerifyKey>([[key.keyId, { publicKey: key.publicKey }]]);
const PEER = "12D3KooWJbDShrytM6QM8cCHY2zACM85zzy3VN8iJwFSgBpkVX3D";
const NOW = 1_800_000_000_000;

describe("gossip records", () => {
  const record = buildGossipRecord({
    serverName: "hs1.example",
    peerId: PEER,
    addresses: ["/ip4/127.0.0.2/tcp/9000"],
    validUntilTs: NOW + 3600_000,
    key,
  });

  it("verify when signed by the server's key and naming it", () => {
    expect(verifyGossipRecord(record, "hs1.example", keys, NOW)).toEqual(record);
  });

  it("are refused when another server, another key, expired, tampered or malformed", () => {
    const other = generateSigningKey("ed25519:g1");
    const cases: Array<[unknown, string, ReadonlyMap<string, KnownVerifyKey>, number]> = [
      [record, "hs2.example", keys, NOW],
      [record, "hs1.example", new Map([[key.keyId, { publicKey: other.publicKey }]]), NOW],
      [record, "hs1.example", new Map([[key.keyId, { publicKey: key.publicKey, expiredTs: NOW - 1 }]]), NOW],
      [record, "hs1.example", keys, NOW + 3600_001],
      [
        { ...record, peer_id: "12D3KooWAbcAbcAbcAbcAbcAbcAbcAbcAbcAbcAbcAbcAbcAbcAbc" },
        "hs1.example",
        keys,
        NOW,
      ],
      [{ ...record, addresses: ["/ip4/6.6.6.6/tcp/1"] }, "hs1.example", keys, NOW],
      [{ ...record, addresses: [] }, "hs1.example", keys, NOW],
      [{ ...record, addresses: ["/unix/x"] }, "hs1.example", keys, NOW],
      [{ ...record, peer_id: "not a peer" }, "hs1.example", keys, NOW],
      [null, "hs1.example", keys, NOW],
      [{ ...record, signatures: {} }, "hs1.example", keys, NOW],
    ];
    for (const [value, server, k, now] of cases) {
      expect(() => verifyGossipRecord(value, server, k, now)).toThrow(GossipRecordError);
    }
    const tooLong = buildGossipRecord({
      serverName: "hs1.example",
      peerId: PEER,
      addresses: ["/ip4/127.0.0.2/tcp/9000"],
      validUntilTs: NOW + MAX_RECORD_VALIDITY_MS + 1,
      key,
    });
    expect(() => verifyGossipRecord(tooLong, "hs1.example", keys, NOW)).toThrow(/too long/);
  });
});

describe("gossip messages", () => {
  const roomId = "!room:hs1.example";
  const topic = roomTopic(roomId);
  const pdu = signEvent(
    {
      room_id: roomId,
      sender: "@a:hs1.example",
      type: "m.room.message",
      content: { body: "hi" },
      origin_server_ts: NOW,
      depth: 3,
      prev_events: [],
      auth_events: [],
    },
    "hs1.example",
    key,
    "10",
  ) as unknown as Pdu;

  it("carry a PDU whose message ID is its event ID", () => {
    const data = encodePduMessage("10", pdu);
    const m = decodeGossipMessage(topic, data);
    expect(m.type).toBe("m.pdu");
    expect(gossipMessageId(topic, data, "10")).toBe(computeEventId(pdu, "10"));
  });

  it("carry signed heads announcements", () => {
    const data = encodeHeadsMessage({ roomId, origin: "hs1.example", heads: ["$a", "$b"], ts: NOW, key });
    const m = decodeGossipMessage(topic, data);
    expect(m.type === "m.heads" && verifyHeads(m, keys, NOW)).toBe(true);
    const forged = { ...(m as object), heads: ["$c"] } as unknown as typeof m;
    expect(forged.type === "m.heads" && verifyHeads(forged, keys, NOW)).toBe(false);
    expect(gossipMessageId(topic, data, "10")).toMatch(/^h:/);
  });

  it("refuse oversized, malformed, deep, misplaced and unknown messages", () => {
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
    const bad = [
      new Uint8Array(MAX_GOSSIP_MESSAGE_BYTES + 1),
      enc("{"),
      enc("[]"),
      enc({ type: "m.pdu", room_version: "10", pdu: { ...pdu, room_id: "!other:x" } }),
      enc({ type: "m.pdu", room_version: 10, pdu }),
      enc({ type: "m.pdu", room_version: "10", pdu: [] }),
      enc(`{"type":"m.pdu","room_version":"10","pdu":${"[".repeat(200)}${"]".repeat(200)}}`),
      enc('{"type":"m.heads","room_id":"!room:hs1.example","origin":"\\ud800","ts":1,"heads":[]}'),
      enc({ type: "m.heads", room_id: roomId, origin: "hs1.example", ts: 1, heads: Array(21).fill("$x") }),
      enc({ type: "m.heads", room_id: roomId, origin: "hs1.example", ts: 1.5, heads: [] }),
      enc({ type: "m.other" }),
    ];
    for (const data of bad) expect(() => decodeGossipMessage(topic, data)).toThrow(GossipMessageError);
    expect(() => decodeGossipMessage("other-topic", encodePduMessage("10", pdu))).toThrow(GossipMessageError);
  });
});

describe("libp2p gossip network", () => {
  const nodes: GossipNetwork[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  async function start(allowed: Set<string>, validate: (data: Uint8Array) => Verdict) {
    const received: string[] = [];
    const n = await createLibp2pGossipNetwork({
      listen: { host: "127.0.0.1", port: 0 },
      seed: randomBytes(32),
      meshDegree: 6,
      heartbeatMs: 100,
      maxMessageBytes: MAX_GOSSIP_MESSAGE_BYTES,
      allowPeer: (p) => allowed.has(p),
      messageId: (_t, data) => new TextDecoder().decode(data).slice(0, 40),
      validate: async (_t, data) => {
        const verdict = validate(data);
        if (verdict === "accept") received.push(new TextDecoder().decode(data));
        return verdict;
      },
      countTraffic: true,
    });
    nodes.push(n);
    return { n, received };
  }

  it("relays along a line, refuses unknown peers, and lowers the score of a peer sending invalid messages", async () => {
    const allowed = new Set<string>();
    const judge = (data: Uint8Array): Verdict =>
      new TextDecoder().decode(data).startsWith("bad") ? "reject" : "accept";
    const a = await start(allowed, judge);
    const b = await start(allowed, judge);
    const c = await start(allowed, judge);
    const rogue = await start(new Set([a.n.peerId, b.n.peerId, c.n.peerId]), judge);
    for (const x of [a, b, c]) allowed.add(x.n.peerId);
    const topic = "t";
    for (const x of [a, b, c, rogue]) x.n.subscribe(topic);
    await a.n.dial(b.n.peerId, b.n.listenAddresses());
    await c.n.dial(b.n.peerId, b.n.listenAddresses());
    // The rogue peer is named by no record: B drops its connection as soon as its peer ID is proven.
    await rogue.n.dial(b.n.peerId, b.n.listenAddresses()).catch(() => undefined);
    const dropped = Date.now() + 5_000;
    while (rogue.n.connectedPeers().includes(b.n.peerId) && Date.now() < dropped) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(rogue.n.connectedPeers()).not.toContain(b.n.peerId);
    expect(b.n.connectedPeers()).not.toContain(rogue.n.peerId);
    // A dial to a listed address that answers with another peer ID fails too.
    await expect(a.n.dial(c.n.peerId, b.n.listenAddresses())).rejects.toBeDefined();

    const deadline = Date.now() + 5_000;
    while (
      (a.n.meshPeers(topic).length === 0 || c.n.meshPeers(topic).length === 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await a.n.publish(topic, new TextEncoder().encode("hello from a"))).toBe(1);
    await a.n.publish(topic, new TextEncoder().encode("bad one"));
    const until = Date.now() + 5_000;
    while (c.received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(c.received).toEqual(["hello from a"]);
    expect(b.received).toEqual(["hello from a"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.n.score(a.n.peerId)).toBeLessThan(0);
    expect(b.n.score(c.n.peerId)).toBe(0);
    expect(a.n.traffic().messagesSent).toBe(2);
  }, 30_000);
});

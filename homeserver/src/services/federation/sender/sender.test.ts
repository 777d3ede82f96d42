/**
 * The outbound sender against fake destination servers: plain `node:http` servers on 127.0.0.1 that
 * accept `PUT /_matrix/federation/v1/send/{txnId}`, reached through the real signed client
 * (`createFederationClient` with a resolver pointing each destination at its port, over HTTP).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFederationClient,
  createNodeTransport,
  type Pdu,
  signingKeyFromSeed,
  verifyRequest,
} from "@hearth/federation";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Database } from "../../../storage/db.js";
import type { StoredEvent } from "../../../storage/events.js";
import type { MembershipRecord } from "../../../storage/rooms.js";
import { receiptEdu, typingEdu } from "./edus.js";
import { createFederationSender, type FederationSender, type FederationSenderOptions } from "./sender.js";

const ORIGIN = "hs1.test";
const KEY = signingKeyFromSeed("ed25519:a", new Uint8Array(32).fill(7));
const ROOM = "!room:hs1.test";

interface Received {
  readonly txnId: string;
  readonly body: {
    origin: string;
    origin_server_ts: number;
    pdus: Pdu[];
    edus: Array<{ edu_type: string; content: Record<string, unknown> }>;
  };
  readonly at: number;
}

type Behaviour = (txnId: string, n: number) => { status: number; body?: unknown } | "hang" | "reset";

/** A fake destination: records transactions, answers according to `behaviour` (200 by default). */
class FakeDestination {
  readonly received: Received[] = [];
  /** Every attempt, including failed ones. */
  readonly attempts: Array<{ txnId: string; at: number }> = [];
  behaviour: Behaviour = () => ({ status: 200, body: { pdus: {} } });
  port = 0;
  readonly #server: Server;
  readonly #hanging: ServerResponse[] = [];

  constructor(readonly name: string) {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** All PDU event IDs received in successful transactions, in order. */
  get pduIds(): string[] {
    return this.received.flatMap((t) => t.body.pdus.map((p) => (p.content as { n: string }).n));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const m = /^\/_matrix\/federation\/v1\/send\/([^/?]+)$/.exec(req.url ?? "");
    if (req.method !== "PUT" || !m) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"errcode":"M_UNRECOGNIZED"}');
      return;
    }
    await verifyRequest(
      {
        method: "PUT",
        uri: req.url!,
        destination: this.name,
        content: body,
        authorization: req.headers.authorization!,
      },
      (server, keyId) =>
        server === ORIGIN && keyId === KEY.keyId ? { publicKey: KEY.publicKey } : undefined,
    );
    const txnId = decodeURIComponent(m[1]!);
    this.attempts.push({ txnId, at: Date.now() });
    const answer = this.behaviour(txnId, this.attempts.length);
    if (answer === "hang") {
      this.#hanging.push(res);
      return;
    }
    if (answer === "reset") {
      req.socket.destroy();
      return;
    }
    if (answer.status === 200) this.received.push({ txnId, body, at: Date.now() });
    res
      .writeHead(answer.status, { "content-type": "application/json" })
      .end(JSON.stringify(answer.body ?? {}));
  }
}

/** A timeline event of `sender` whose content carries a readable marker `n`. */
function event(n: string, sender = `@alice:${ORIGIN}`, extra: Partial<Pdu> = {}): StoredEvent {
  const pdu = {
    type: "m.room.message",
    room_id: ROOM,
    sender,
    origin_server_ts: 1,
    content: { body: n, n },
    depth: 1,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: "x" },
    signatures: {},
    ...extra,
  } as unknown as Pdu;
  const eventId = `$${n}`;
  return {
    eventId,
    pdu: { ...pdu, event_id: eventId } as Pdu,
    json: JSON.stringify(pdu),
    roomId: ROOM,
    stream: 1,
    depth: 1,
    stateGroup: 1,
    stateGroupBefore: 1,
  };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("federation sender", () => {
  let dir: string;
  let db: Database;
  const destinations = new Map<string, FakeDestination>();
  let members: Map<string, MembershipRecord>;
  let extremities: Map<string, number>;
  const stored = new Map<string, StoredEvent>();
  const senders: FederationSender[] = [];
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

  const client = createFederationClient({
    origin: ORIGIN,
    key: KEY,
    fetch: createNodeTransport({ allowPrivateAddresses: true }),
    scheme: "http",
    resolve: async (name) => {
      // An unknown destination resolves to a closed port: connection refused.
      const port = destinations.get(name)?.port ?? 1;
      return {
        serverName: name,
        host: "127.0.0.1",
        port,
        tlsServerName: name,
        sni: false,
        hostHeader: name,
        step: "6",
      };
    },
  });

  function sender(options: Partial<FederationSenderOptions> = {}, roomIds?: string[]): FederationSender {
    const s = createFederationSender({
      serverName: ORIGIN,
      db,
      rooms: {
        membersOfRoom: async () => new Map(members),
        extremities: async () => new Map(extremities),
        ...(roomIds ? { allRoomIds: async () => roomIds } : {}),
      },
      events: { getMany: async (ids) => ids.map((id) => stored.get(id)) },
      client,
      logger: logger as never,
      now: () => 1_700_000_000_000,
      options: { backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, ...options },
    });
    senders.push(s);
    return s;
  }

  async function destination(name: string): Promise<FakeDestination> {
    const d = new FakeDestination(name);
    await d.listen();
    destinations.set(name, d);
    members.set(`@user:${name}`, { membership: "join", eventId: "$m", stream: 1 });
    return d;
  }

  function events(prefix: string, count: number, sender?: string): StoredEvent[] {
    return Array.from({ length: count }, (_, i) => {
      const e = event(`${prefix}${i}`, sender);
      stored.set(e.eventId, e);
      return e;
    });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-sender-"));
    db = await Database.open(join(dir, "db"));
    members = new Map([[`@alice:${ORIGIN}`, { membership: "join", eventId: "$a", stream: 1 }]]);
    extremities = new Map();
    stored.clear();
    for (const fn of Object.values(logger)) fn.mockClear();
  });

  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.stop()));
    await Promise.all([...destinations.values()].map((d) => d.close()));
    destinations.clear();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends our users' events, in order, to every other server with joined members", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    members.set("@left:hs4.test", { membership: "leave", eventId: "$l", stream: 1 });
    const s = sender();
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 3));
    // Events of other servers are theirs to send.
    await s.enqueueRoomEvents(ROOM, events("remote", 2, "@bob:hs2.test"));
    await s.enqueueRoomEvents(ROOM, events("f", 2));
    await until(() => b.pduIds.length === 5 && c.pduIds.length === 5);
    expect(b.pduIds).toEqual(["e0", "e1", "e2", "f0", "f1"]);
    expect(c.pduIds).toEqual(["e0", "e1", "e2", "f0", "f1"]);
    const txn = b.received[0]!.body;
    expect(txn.origin).toBe(ORIGIN);
    expect(txn.origin_server_ts).toBe(1_700_000_000_000);
    // The stored JSON is sent (no event_id for v3+ formats).
    expect(txn.pdus[0]).not.toHaveProperty("event_id");
    await until(() => s.pending("hs2.test").pdus === 0);
    expect(s.pending("hs2.test")).toMatchObject({ inFlight: false, failures: 0 });
    // Transaction IDs differ per transaction.
    expect(new Set(b.received.map((t) => t.txnId)).size).toBe(b.received.length);
  });

  it("sends a server only the events persisted after it joined", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    const joinedLater = members.get("@user:hs3.test")!;
    members.delete("@user:hs3.test");
    const s = sender();
    await s.start();
    // hs3 joins while the earlier batch still waits its turn: it holds that history as room state
    // from its join and must not be sent it as new events.
    const before = s.enqueueRoomEvents(ROOM, events("old", 2));
    members.set("@user:hs3.test", joinedLater);
    const after = s.enqueueRoomEvents(ROOM, events("new", 1));
    await Promise.all([before, after]);
    await until(() => b.pduIds.length === 3 && c.pduIds.length === 1);
    expect(b.pduIds).toEqual(["old0", "old1", "new0"]);
    expect(c.pduIds).toEqual(["new0"]);
  });

  it("also tells a server whose user was kicked or banned", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    members.set("@bob:hs3.test", { membership: "ban", eventId: "$b", stream: 2 });
    members.delete("@user:hs3.test");
    const s = sender();
    await s.start();
    const ban = event("ban", `@alice:${ORIGIN}`, {
      type: "m.room.member",
      state_key: "@bob:hs3.test",
      content: { membership: "ban", n: "ban" },
    });
    stored.set(ban.eventId, ban);
    await s.enqueueRoomEvents(ROOM, [ban]);
    await s.enqueueRoomEvents(ROOM, events("after", 1));
    await until(() => b.pduIds.length === 2 && c.pduIds.length === 1);
    expect(c.pduIds).toEqual(["ban"]);
  });

  it("relays another server's event to everyone but its origin when asked", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    const s = sender();
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("join", 1, "@carol:hs3.test"), { relay: true });
    await until(() => b.pduIds.length === 1);
    expect(b.pduIds).toEqual(["join0"]);
    expect(c.attempts).toHaveLength(0);
  });

  it("batches at most 50 PDUs and 100 EDUs per transaction, in order", async () => {
    const b = await destination("hs2.test");
    const s = sender();
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 120));
    for (let i = 0; i < 250; i++)
      s.enqueueEdu("hs2.test", receiptEdu(ROOM, `@u${i}:${ORIGIN}`, "$x", { ts: i }));
    await until(() => b.pduIds.length === 120 && b.received.flatMap((t) => t.body.edus).length === 250);
    for (const t of b.received) {
      expect(t.body.pdus.length).toBeLessThanOrEqual(50);
      expect(t.body.edus.length).toBeLessThanOrEqual(100);
    }
    expect(b.received.map((t) => t.body.pdus.length)).toEqual([50, 50, 20]);
    expect(b.pduIds).toEqual(Array.from({ length: 120 }, (_, i) => `e${i}`));
    const eduUsers = b.received.flatMap((t) =>
      t.body.edus.map((e) => Object.keys((e.content[ROOM] as { "m.read": object })["m.read"])[0]),
    );
    expect(eduUsers).toEqual(Array.from({ length: 250 }, (_, i) => `@u${i}:${ORIGIN}`));
  });

  it("sends one transaction at a time per destination", async () => {
    const b = await destination("hs2.test");
    let open = 0;
    let maxOpen = 0;
    b.behaviour = () => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      return "hang";
    };
    const s = sender({ stopTimeoutMs: 50 });
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("a", 1));
    await until(() => b.attempts.length === 1);
    await s.enqueueRoomEvents(ROOM, events("b", 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(b.attempts).toHaveLength(1);
    expect(maxOpen).toBe(1);
    expect(s.pending("hs2.test")).toMatchObject({ pdus: 2, inFlight: true });
  });

  it("resends what was not acknowledged after a restart on the same database", async () => {
    const b = await destination("hs2.test");
    // The first transaction is acknowledged, then the destination stops answering.
    b.behaviour = (_txn, n) => (n === 1 ? { status: 200, body: { pdus: {} } } : "hang");
    const first = sender({ maxPdusPerTransaction: 10, stopTimeoutMs: 100 });
    await first.start();
    await first.enqueueRoomEvents(ROOM, events("e", 35));
    await until(() => b.attempts.length === 2);
    expect(b.pduIds).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    // Stop mid-transaction: the hanging one is aborted and stays queued.
    await first.stop();
    expect(first.pending("hs2.test").pdus).toBe(25);

    b.behaviour = () => ({ status: 200, body: { pdus: {} } });
    const second = sender({ maxPdusPerTransaction: 10 });
    expect(second.pending("hs2.test").pdus).toBe(0);
    await second.start();
    await until(() => b.pduIds.length === 35);
    expect(b.pduIds).toEqual(Array.from({ length: 35 }, (_, i) => `e${i}`));
    // Transaction IDs keep increasing across the restart (never reused for other content).
    const ids = b.attempts.map((a) => Number(a.txnId));
    expect(ids.slice(2)).toEqual(ids.slice(2).map((_, i) => ids[1]! + 1 + i));
    await until(() => second.pending("hs2.test").pdus === 0);
  });

  it("retries a failed transaction verbatim with exponential backoff", async () => {
    const b = await destination("hs2.test");
    b.behaviour = (_txn, n) =>
      n <= 3 ? { status: 502, body: {} } : n === 4 ? "reset" : { status: 200, body: { pdus: {} } };
    const s = sender({ backoff: { initialMs: 40, maxMs: 1_000, jitter: 0 } });
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 2));
    await until(() => b.received.length === 1, 5_000);
    expect(b.pduIds).toEqual(["e0", "e1"]);
    expect(new Set(b.attempts.map((a) => a.txnId)).size).toBe(1);
    const gaps = b.attempts.slice(1).map((a, i) => a.at - b.attempts[i]!.at);
    // 40, 80, 160, 320 ms (timers fire no earlier than asked).
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    expect(gaps[3]).toBeGreaterThanOrEqual(318);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    await until(() => s.pending("hs2.test").pdus === 0);
    expect(s.pending("hs2.test")).toMatchObject({ failures: 0, retryAt: undefined });
  });

  it("markReachable ends the backoff at once", async () => {
    const b = await destination("hs2.test");
    b.behaviour = (_txn, n) => (n === 1 ? { status: 500 } : { status: 200, body: { pdus: {} } });
    const s = sender({ backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 1));
    await until(() => s.pending("hs2.test").retryAt !== undefined);
    expect(s.pending("hs2.test").failures).toBe(1);
    const before = Date.now();
    s.markReachable("hs2.test");
    await until(() => b.received.length === 1);
    expect(Date.now() - before).toBeLessThan(2_000);
    expect(s.pending("hs2.test")).toMatchObject({ pdus: 0, failures: 0, retryAt: undefined });
  });

  it("honours 429 retry_after_ms and drops a transaction refused with another 4xx", async () => {
    const b = await destination("hs2.test");
    b.behaviour = (_txn, n) =>
      n === 1
        ? { status: 429, body: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 150 } }
        : n === 2
          ? { status: 403, body: { errcode: "M_FORBIDDEN" } }
          : { status: 200, body: { pdus: {} } };
    const s = sender({ backoff: { initialMs: 10, maxMs: 10, jitter: 0 } });
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("a", 1));
    await until(() => b.attempts.length === 2);
    expect(b.attempts[1]!.at - b.attempts[0]!.at).toBeGreaterThanOrEqual(145);
    // The 403 dropped "a"; the next event goes in a new transaction.
    await until(() => s.pending("hs2.test").pdus === 0);
    await s.enqueueRoomEvents(ROOM, events("b", 1));
    await until(() => b.received.length === 1);
    expect(b.pduIds).toEqual(["b0"]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ status: 403 }),
      "destination refused a transaction; dropped",
    );
  });

  it("logs per-PDU errors without retrying them", async () => {
    const b = await destination("hs2.test");
    b.behaviour = () => ({ status: 200, body: { pdus: { $e0: { error: "no" }, $e1: {} } } });
    const s = sender();
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 2));
    await until(() => b.received.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.attempts).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: "$e0", error: "no" }),
      "destination refused a PDU",
    );
  });

  it("one failing or hanging destination does not delay another", async () => {
    const hanging = await destination("hang.test");
    hanging.behaviour = () => "hang";
    members.set("@x:down.test", { membership: "join", eventId: "$x", stream: 1 }); // connection refused
    const b = await destination("hs2.test");
    const s = sender({ stopTimeoutMs: 50 });
    await s.start();
    const t0 = Date.now();
    await s.enqueueRoomEvents(ROOM, events("e", 1));
    await s.enqueueRoomEvents(ROOM, events("f", 1));
    await until(() => b.pduIds.length === 2);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(s.pending("hang.test")).toMatchObject({ pdus: 2, inFlight: true });
    await until(() => s.pending("down.test").failures > 0);
    expect(s.pending("down.test").pdus).toBe(2);
  });

  it("replaces an overflowing queue by catch-up: the room's latest events of ours", async () => {
    const b = await destination("hs2.test");
    b.behaviour = () => ({ status: 503 });
    const s = sender({ maxQueuedPdus: 5, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    await s.start();
    await s.enqueueRoomEvents(ROOM, events("e", 1));
    await until(() => s.pending("hs2.test").retryAt !== undefined);
    // e0 is in the failed transaction; the rest overflows.
    await s.enqueueRoomEvents(ROOM, events("f", 10));
    expect(s.pending("hs2.test")).toMatchObject({ pdus: 1, catchUpRooms: 1 });
    // The room's extremities: our f9 and a remote event (the remote's own to send).
    const remote = event("r", "@bob:hs5.test");
    stored.set(remote.eventId, remote);
    extremities = new Map([
      ["$f9", 5],
      ["$r", 5],
    ]);
    b.behaviour = () => ({ status: 200, body: { pdus: {} } });
    s.markReachable("hs2.test");
    await until(() => s.pending("hs2.test").pdus === 0 && s.pending("hs2.test").catchUpRooms === 0);
    await until(() => b.pduIds.length === 2);
    expect(b.pduIds).toEqual(["e0", "f9"]);
  });

  it("keeps catch-up markers across a restart", async () => {
    const b = await destination("hs2.test");
    b.behaviour = () => ({ status: 503 });
    const first = sender({ maxQueuedPdus: 3, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    await first.start();
    await first.enqueueRoomEvents(ROOM, events("e", 1));
    await until(() => first.pending("hs2.test").retryAt !== undefined);
    await first.enqueueRoomEvents(ROOM, events("f", 5));
    await first.stop();
    b.behaviour = () => ({ status: 200, body: { pdus: {} } });
    const second = sender();
    await second.start();
    await until(() => b.pduIds.length === 2);
    expect(b.pduIds).toEqual(["f4", "e0"]);
  });

  it("coalesces typing EDUs of the same user and room; ignores our own name", async () => {
    const b = await destination("hs2.test");
    b.behaviour = (_txn, n) => (n === 1 ? "hang" : { status: 200, body: { pdus: {} } });
    const s = sender({ stopTimeoutMs: 50 });
    await s.start();
    s.enqueueEdu("hs2.test", typingEdu(ROOM, "@x:hs1.test", true));
    s.enqueueEdu(ORIGIN, typingEdu(ROOM, "@x:hs1.test", true));
    expect(s.pending(ORIGIN).edus).toBe(0);
    await until(() => b.attempts.length === 1);
    s.enqueueEdu("hs2.test", typingEdu(ROOM, "@a:hs1.test", true));
    s.enqueueEdu("hs2.test", typingEdu(ROOM, "@b:hs1.test", true));
    s.enqueueEdu("hs2.test", typingEdu(ROOM, "@a:hs1.test", false));
    expect(s.pending("hs2.test").edus).toBe(3);
  });

  it("sends room EDUs to the room's other servers", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    const s = sender();
    await s.start();
    expect(await s.destinationsOfRoom(ROOM)).toEqual(["hs2.test", "hs3.test"]);
    await s.enqueueRoomEdu(ROOM, typingEdu(ROOM, `@alice:${ORIGIN}`, true));
    await until(() => b.received.length === 1 && c.received.length === 1);
    expect(b.received[0]!.body.edus).toEqual([
      { edu_type: "m.typing", content: { room_id: ROOM, user_id: `@alice:${ORIGIN}`, typing: true } },
    ]);
  });

  it("announces itself on start: one empty transaction per server it shares a room with, not retried", async () => {
    const b = await destination("hs2.test");
    const c = await destination("hs3.test");
    c.behaviour = () => ({ status: 500 });
    members.set("@gone:hs4.test", { membership: "leave", eventId: "$g", stream: 1 });
    const s = sender({}, [ROOM]);
    await s.start();
    await until(() => b.received.length === 1 && c.attempts.length === 1);
    expect(b.received[0]!.body).toMatchObject({ origin: ORIGIN, pdus: [], edus: [] });
    // A failed announcement is not retried (the destination announces itself when it is back).
    await new Promise((r) => setTimeout(r, 100));
    expect(c.attempts).toHaveLength(1);
    expect(s.pending("hs3.test")).toMatchObject({ failures: 0, retryAt: undefined });
    // Only servers with joined members are told; real traffic afterwards is unaffected.
    expect(destinations.has("hs4.test")).toBe(false);
    await s.enqueueRoomEvents(ROOM, events("e", 1));
    await until(() => b.pduIds.length === 1);
    expect(b.received).toHaveLength(2);
  });

  it("queues events enqueued before start and sends them once started; stop clears timers", async () => {
    const b = await destination("hs2.test");
    const s = sender();
    const queued = s.enqueueRoomEvents(ROOM, events("early", 2));
    await new Promise((r) => setTimeout(r, 50));
    expect(b.attempts).toHaveLength(0);
    await s.start();
    await queued;
    await until(() => b.pduIds.length === 2);
    b.behaviour = () => ({ status: 500 });
    await s.enqueueRoomEvents(ROOM, events("late", 1));
    await until(() => s.pending("hs2.test").retryAt !== undefined);
    await s.stop();
    expect(s.pending("hs2.test")).toMatchObject({ retryAt: undefined, inFlight: false, pdus: 1 });
  });
});

/**
 * The outbound federation sender (server-server API, "Transactions"): a queue per destination server,
 * sent as `PUT /_matrix/federation/v1/send/{txnId}` transactions of at most 50 PDUs and 100 EDUs.
 *
 * - PDUs are queued durably (`destination_seq_pdu`, see `storage/outbound.ts`) and removed only when
 *   the destination acknowledged them, so a restart resends whatever was not acknowledged.
 * - EDUs are best effort: kept in memory, lost on restart, dropped oldest-first beyond a cap.
 * - One transaction in flight per destination; a failed one (network error, timeout, 5xx, 408, 429)
 *   is retried verbatim, same transaction ID and content, as the spec asks ("must wait and retry for
 *   a 200 OK response before sending a transaction with a different txnId"), after an exponential
 *   backoff (see `backoff.ts`). Destinations are independent: one that hangs or fails never delays
 *   another.
 * - Any other 4xx for the whole transaction means the destination will not accept it however often
 *   we ask (Synapse does the same): it is logged and dropped, and the queue moves on. Per-PDU errors
 *   in a 200 response are logged and not retried.
 * - Catch-up: when a destination's queue exceeds `maxQueuedPdus` (a long outage), its queued PDUs are
 *   replaced by one marker per room (`destination_roomid_catchup`) holding our latest missed event.
 *   The next transaction then carries, per marked room, that event and the room's current forward
 *   extremities sent by us; the destination sees their `prev_events` are unknown and fetches the gap
 *   with `/get_missing_events` (or backfill), so a server that comes back converges without us
 *   replaying an unbounded backlog.
 * - Announcement on start: a server that was down has nothing queued for the others, while they back
 *   off from it (up to `backoff.maxMs`) with events for it. So on `start()` the sender sends one
 *   empty transaction (`{"pdus": [], "edus": []}`, valid per "Transactions") to every server it shares
 *   a room with; receiving any transaction from us resets their backoff (`markReachable`, as Synapse
 *   does on any inbound request), and they resend at once what we missed. Best effort: an
 *   announcement that fails is not retried (the destination is down; it will announce itself).
 */
import type { FederationClient } from "@hearth/federation";
import { FederationRequestError, FederationTransportError } from "@hearth/federation";
import type { Logger } from "pino";
import type { FederationMetrics } from "../../../metrics/metrics.js";
import type { Database } from "../../../storage/db.js";
import type { EventStore, StoredEvent } from "../../../storage/events.js";
import { OutboundStore, type QueuedPdu } from "../../../storage/outbound.js";
import type { RoomStore } from "../../../storage/rooms.js";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
import type { Edu } from "./edus.js";

/** Tunables of the sender; every field has a default. */
export interface FederationSenderOptions {
  /** Most PDUs per transaction (the spec's limit is 50). */
  readonly maxPdusPerTransaction: number;
  /** Most EDUs per transaction (the spec's limit is 100). */
  readonly maxEdusPerTransaction: number;
  /** Queued PDUs per destination beyond which the queue turns into catch-up markers. */
  readonly maxQueuedPdus: number;
  /** EDUs kept per destination while it is unreachable (oldest dropped first). */
  readonly maxQueuedEdus: number;
  readonly backoff: BackoffPolicy;
  /** Timeout of one transaction request (ms). */
  readonly requestTimeoutMs: number;
  /** How long `stop()` waits for in-flight transactions before aborting them (ms). */
  readonly stopTimeoutMs: number;
  /** Random numbers in [0, 1) for jitter (injectable for tests). */
  readonly random: () => number;
  /** Send the start-up announcement (an empty transaction to every server we share a room with). */
  readonly announceOnStart: boolean;
}

const DEFAULT_OPTIONS: FederationSenderOptions = {
  maxPdusPerTransaction: 50,
  maxEdusPerTransaction: 100,
  maxQueuedPdus: 1_000,
  maxQueuedEdus: 1_000,
  backoff: DEFAULT_BACKOFF,
  requestTimeoutMs: 60_000,
  stopTimeoutMs: 5_000,
  random: Math.random,
  announceOnStart: true,
};

/** What the sender needs. */
export interface FederationSenderDeps {
  /** Our server name: the transactions' `origin`; events of our users are those sent from here. */
  readonly serverName: string;
  readonly db: Database;
  readonly rooms: Pick<RoomStore, "membersOfRoom" | "extremities"> & Partial<Pick<RoomStore, "allRoomIds">>;
  readonly events: Pick<EventStore, "getMany">;
  /** The signed outbound client (`createOutboundFederation`). */
  readonly client: Pick<FederationClient, "request">;
  readonly logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** Milliseconds since the epoch (`origin_server_ts`). */
  readonly now: () => number;
  readonly options?: Partial<FederationSenderOptions>;
  /**
   * Whether `destination` takes the room's events over gossip (`gossip: preferred`): no PDU of the
   * room is queued for it; repair fetches what gossip missed (`specs/gossip.md`).
   */
  readonly viaGossip?: (destination: string, roomId: string) => boolean;
  /** Records each transaction attempt. */
  readonly metrics?: FederationMetrics;
}

/** Options of {@link FederationSender.enqueueRoomEvents}. */
export interface EnqueueRoomEventsOptions {
  /**
   * Also send events created on other servers (to every server in the room except the event's
   * origin). For the resident server of a `send_join`/`send_leave`/`send_knock`: the other servers
   * must learn of the event, and only we know they should. Default false: only our own events.
   */
  readonly relay?: boolean;
}

/** A destination's queue, for tests, metrics and admin tools. */
export interface DestinationStatus {
  /** PDUs queued and not yet acknowledged (including those of the transaction in flight). */
  readonly pdus: number;
  /** Rooms waiting for catch-up after the queue overflowed. */
  readonly catchUpRooms: number;
  /** EDUs waiting (including those of the transaction in flight). */
  readonly edus: number;
  /** Whether a transaction is being sent right now. */
  readonly inFlight: boolean;
  /** Consecutive failures of the current transaction. */
  readonly failures: number;
  /** When the next attempt is due (ms since epoch), while backing off. */
  readonly retryAt: number | undefined;
}

/** The sender, as the composition root wires it. */
export interface FederationSender {
  /**
   * Queues a room's newly persisted events (wire to the pipeline's `onPersisted`) for every other
   * server with joined members in the room, plus the servers of users whose membership changed to
   * `leave` or `ban` in these events (they must learn they were kicked). Only events sent by our users
   * unless `options.relay`. Durable once the returned promise resolves; it never rejects (failures
   * are logged). Calls are applied in call order.
   */
  enqueueRoomEvents(
    roomId: string,
    events: readonly StoredEvent[],
    options?: EnqueueRoomEventsOptions,
  ): Promise<void>;
  /** Queues an EDU for one destination (best effort, not persisted). Our own name is ignored. */
  enqueueEdu(destination: string, edu: Edu): void;
  /**
   * Queues an EDU for every other server with joined members in the room (typing, receipts). Never
   * rejects.
   */
  enqueueRoomEdu(roomId: string, edu: Edu): Promise<void>;
  /** The other servers with joined members in the room. */
  destinationsOfRoom(roomId: string): Promise<string[]>;
  /**
   * The destination just talked to us: forget its backoff and send what is waiting now (call on any
   * authenticated inbound request from it).
   */
  markReachable(destination: string): void;
  /** Loads the persisted queues and starts sending. Events queued before `start` wait for it. */
  start(): Promise<void>;
  /**
   * Stops sending: no new attempts, timers cleared, in-flight transactions given `stopTimeoutMs` to
   * finish and then aborted (they stay queued and are resent after the next start).
   */
  stop(): Promise<void>;
  /** A destination's queue status (zeros for an unknown destination). */
  pending(destination: string): DestinationStatus;
}

interface Transaction {
  readonly id: string;
  readonly body: {
    readonly origin: string;
    readonly origin_server_ts: number;
    readonly pdus: readonly unknown[];
    readonly edus: readonly Edu[];
  };
  /** Queue entries the transaction acknowledges. */
  readonly seqs: readonly number[];
  /** Catch-up markers it satisfies: room → the marker's event ID when built. */
  readonly catchUp: ReadonlyMap<string, string>;
  readonly eventIds: readonly string[];
  /** The start-up announcement (nothing else in it): not retried when it fails. */
  readonly announcement?: boolean;
}

interface Destination {
  readonly name: string;
  /** Unacknowledged PDUs, in order (the in-flight transaction's first). */
  pdus: QueuedPdu[];
  catchUp: Map<string, string>;
  edus: Edu[];
  /** An announcement is due (see the file header). */
  announce: boolean;
  txnCounter: number;
  current: Transaction | undefined;
  running: Promise<void> | undefined;
  failures: number;
  retryAt: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  abort: AbortController | undefined;
}

type Outcome = { kind: "sent" } | { kind: "dropped" } | { kind: "retry"; afterMs?: number };

/** The server name part of a user ID or other `sigil localpart:domain` identifier. */
function domainOf(id: string): string {
  const i = id.indexOf(":");
  return i < 0 ? "" : id.slice(i + 1);
}

/** Creates the sender; call `start()` to load its queues and begin sending. */
export function createFederationSender(deps: FederationSenderDeps): FederationSender {
  return new Sender(deps);
}

class Sender implements FederationSender {
  readonly #deps: FederationSenderDeps;
  readonly #options: FederationSenderOptions;
  readonly #store: OutboundStore;
  readonly #destinations = new Map<string, Destination>();
  /** Last queue sequence number allocated (shared by all destinations). */
  #seq = 0;
  /** Serialises enqueues (call order = queue order); starts once the queues are loaded. */
  #chain: Promise<void>;
  #openGate!: () => void;
  #started: Promise<void> | undefined;
  #running = false;
  #stopping = false;

  constructor(deps: FederationSenderDeps) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_OPTIONS, ...deps.options };
    this.#store = new OutboundStore(deps.db);
    this.#chain = new Promise<void>((resolve) => {
      this.#openGate = resolve;
    });
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      const loaded = await this.#store.loadAll();
      for (const [name, record] of loaded) {
        const d = this.#destination(name);
        d.pdus = record.pdus;
        d.catchUp = record.catchUp;
        d.txnCounter = record.txnCounter;
        for (const p of record.pdus) this.#seq = Math.max(this.#seq, p.seq);
      }
      if (this.#options.announceOnStart) {
        for (const name of await this.#peers()) this.#destination(name).announce = true;
      }
      this.#running = true;
      this.#openGate();
      for (const d of this.#destinations.values()) this.#kick(d);
      this.#deps.logger.debug({ destinations: loaded.size }, "federation sender started");
    })();
    return this.#started;
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#running = false;
    for (const d of this.#destinations.values()) {
      if (d.timer) clearTimeout(d.timer);
      d.timer = undefined;
      d.retryAt = undefined;
    }
    const inFlight = [...this.#destinations.values()].flatMap((d) => (d.running ? [d.running] : []));
    // Before `start` the chain waits for the queues to load: nothing of it is in flight.
    const settled = Promise.allSettled(this.#started ? [...inFlight, this.#chain] : inFlight);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#options.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const d of this.#destinations.values()) d.abort?.abort(new Error("federation sender stopping"));
      await settled;
    }
  }

  enqueueRoomEvents(
    roomId: string,
    events: readonly StoredEvent[],
    options: EnqueueRoomEventsOptions = {},
  ): Promise<void> {
    // The servers in the room now, when the events were persisted: a server that joins while this
    // batch waits its turn must not receive events from before its join (it has them as state, and
    // would take them for new ones).
    const joined = this.destinationsOfRoom(roomId);
    joined.catch(() => {});
    return this.#serially(() => this.#enqueueRoomEvents(roomId, events, options.relay === true, joined));
  }

  enqueueEdu(destination: string, edu: Edu): void {
    if (destination === this.#deps.serverName) return;
    const d = this.#destination(destination);
    if (edu.edu_type === "m.typing") {
      // A newer typing state of the same user in the same room replaces the one still waiting.
      const { room_id, user_id } = edu.content;
      d.edus = d.edus.filter(
        (e) => !(e.edu_type === "m.typing" && e.content.room_id === room_id && e.content.user_id === user_id),
      );
    }
    d.edus.push(edu);
    if (d.edus.length > this.#options.maxQueuedEdus) {
      d.edus.splice(0, d.edus.length - this.#options.maxQueuedEdus);
    }
    this.#kick(d);
  }

  async enqueueRoomEdu(roomId: string, edu: Edu): Promise<void> {
    try {
      for (const destination of await this.destinationsOfRoom(roomId)) this.enqueueEdu(destination, edu);
    } catch (err) {
      this.#deps.logger.error({ err, roomId, eduType: edu.edu_type }, "could not queue EDU for room");
    }
  }

  async destinationsOfRoom(roomId: string): Promise<string[]> {
    const servers = new Set<string>();
    for (const [userId, m] of await this.#deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join") servers.add(domainOf(userId));
    }
    servers.delete(this.#deps.serverName);
    servers.delete("");
    return [...servers].sort();
  }

  /** Every other server with joined members in a room we have (for the announcement). */
  async #peers(): Promise<Set<string>> {
    const peers = new Set<string>();
    try {
      for (const roomId of (await this.#deps.rooms.allRoomIds?.()) ?? []) {
        for (const name of await this.destinationsOfRoom(roomId)) peers.add(name);
      }
    } catch (err) {
      this.#deps.logger.warn({ err }, "could not list the servers to announce ourselves to");
    }
    return peers;
  }

  markReachable(destination: string): void {
    const d = this.#destinations.get(destination);
    if (!d) return;
    d.failures = 0;
    if (d.timer) {
      clearTimeout(d.timer);
      d.timer = undefined;
      d.retryAt = undefined;
      this.#kick(d);
    }
  }

  pending(destination: string): DestinationStatus {
    const d = this.#destinations.get(destination);
    if (!d) return { pdus: 0, catchUpRooms: 0, edus: 0, inFlight: false, failures: 0, retryAt: undefined };
    return {
      pdus: d.pdus.length,
      catchUpRooms: d.catchUp.size,
      edus: d.edus.length + (d.current?.body.edus.length ?? 0),
      inFlight: d.abort !== undefined,
      failures: d.failures,
      retryAt: d.retryAt,
    };
  }

  #serially(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task).catch((err: unknown) => {
      this.#deps.logger.error({ err }, "federation sender could not queue events");
    });
    this.#chain = run;
    return run;
  }

  #destination(name: string): Destination {
    let d = this.#destinations.get(name);
    if (!d) {
      d = {
        name,
        pdus: [],
        catchUp: new Map(),
        edus: [],
        announce: false,
        txnCounter: 0,
        current: undefined,
        running: undefined,
        failures: 0,
        retryAt: undefined,
        timer: undefined,
        abort: undefined,
      };
      this.#destinations.set(name, d);
    }
    return d;
  }

  async #enqueueRoomEvents(
    roomId: string,
    events: readonly StoredEvent[],
    relay: boolean,
    destinations: Promise<string[]>,
  ): Promise<void> {
    const { serverName } = this.#deps;
    const toSend = events.filter(
      (e) =>
        (relay || domainOf(e.pdu.sender) === serverName) &&
        e.outlier !== true &&
        e.rejected === undefined &&
        e.softFailed !== true,
    );
    if (toSend.length === 0) return;
    const joined = await destinations;
    const ops = [];
    const touched = new Set<Destination>();
    for (const event of toSend) {
      const targets = new Set(joined);
      const membership = (event.pdu.content as { membership?: unknown } | undefined)?.membership;
      if (
        event.pdu.type === "m.room.member" &&
        typeof event.pdu.state_key === "string" &&
        (membership === "leave" || membership === "ban")
      ) {
        targets.add(domainOf(event.pdu.state_key));
      }
      targets.delete(serverName);
      targets.delete(domainOf(event.pdu.sender));
      targets.delete("");
      for (const name of targets) {
        if (this.#deps.viaGossip?.(name, roomId)) continue;
        const d = this.#destination(name);
        const queued: QueuedPdu = { seq: ++this.#seq, roomId, eventId: event.eventId };
        d.pdus.push(queued);
        ops.push(this.#store.enqueueOp(name, queued));
        touched.add(d);
      }
    }
    for (const d of touched) ops.push(...this.#overflow(d));
    await this.#store.write(ops);
    for (const d of touched) this.#kick(d);
  }

  /**
   * When a destination's queue is too long, replaces the entries not in flight by catch-up markers
   * (one per room, holding the latest event) and returns the write operations.
   */
  #overflow(d: Destination) {
    if (d.pdus.length <= this.#options.maxQueuedPdus) return [];
    const inFlight = new Set(d.current?.seqs ?? []);
    const keep = d.pdus.filter((p) => inFlight.has(p.seq));
    const dropped = d.pdus.filter((p) => !inFlight.has(p.seq));
    for (const p of dropped) d.catchUp.set(p.roomId, p.eventId);
    const rooms = new Map(dropped.map((p) => [p.roomId, p.eventId]));
    d.pdus = keep;
    this.#deps.logger.warn(
      { destination: d.name, dropped: dropped.length, rooms: rooms.size },
      "federation queue overflowed; switching to catch-up",
    );
    return [
      ...this.#store.dequeueOps(
        d.name,
        dropped.map((p) => p.seq),
      ),
      ...[...rooms].map(([roomId, eventId]) => this.#store.catchUpOp(d.name, roomId, eventId)),
    ];
  }

  #hasWork(d: Destination): boolean {
    return (
      d.current !== undefined || d.pdus.length > 0 || d.catchUp.size > 0 || d.edus.length > 0 || d.announce
    );
  }

  /** Starts the destination's send loop unless it runs, is backing off, or the sender is stopped. */
  #kick(d: Destination): void {
    if (!this.#running || d.running || d.timer || !this.#hasWork(d)) return;
    d.running = this.#drain(d)
      .catch((err: unknown) => {
        this.#deps.logger.error({ err, destination: d.name }, "federation send loop failed");
        this.#retryLater(d);
      })
      .finally(() => {
        d.running = undefined;
        // Work that arrived while the loop was finishing.
        this.#kick(d);
      });
  }

  #retryLater(d: Destination, afterMs?: number): void {
    if (!this.#running) return;
    d.failures++;
    const delay = Math.max(
      backoffDelay(this.#options.backoff, d.failures, this.#options.random),
      afterMs ?? 0,
    );
    d.retryAt = Date.now() + delay;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      d.retryAt = undefined;
      this.#kick(d);
    }, delay);
    d.timer.unref();
  }

  async #drain(d: Destination): Promise<void> {
    // Let everything queued in this turn of the event loop join the first transaction.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#running) {
      d.current ??= await this.#build(d);
      const txn = d.current;
      if (!txn) return;
      const outcome = await this.#send(d, txn);
      if (outcome.kind === "retry" && txn.announcement) {
        // Best effort: a destination that is down announces itself when it is back.
        d.current = undefined;
        return;
      }
      if (outcome.kind === "retry") {
        this.#retryLater(d, outcome.afterMs);
        return;
      }
      d.failures = 0;
      await this.#acknowledge(d, txn);
      d.current = undefined;
    }
  }

  /** Builds the next transaction: catch-up rooms first, then queued PDUs in order, then EDUs. */
  async #build(d: Destination): Promise<Transaction | undefined> {
    const { maxPdusPerTransaction, maxEdusPerTransaction } = this.#options;
    const ids: string[] = [];
    const seen = new Set<string>();
    const add = (eventId: string) => {
      if (seen.has(eventId) || ids.length >= maxPdusPerTransaction) return;
      seen.add(eventId);
      ids.push(eventId);
    };

    const catchUp = new Map<string, string>();
    for (const [roomId, latest] of d.catchUp) {
      if (ids.length >= maxPdusPerTransaction) break;
      const extremities = [...(await this.#deps.rooms.extremities(roomId)).keys()];
      const ours = (await this.#deps.events.getMany(extremities)).filter(
        (e): e is StoredEvent => e !== undefined && domainOf(e.pdu.sender) === this.#deps.serverName,
      );
      add(latest);
      for (const e of ours) add(e.eventId);
      catchUp.set(roomId, latest);
    }

    const seqs: number[] = [];
    for (const p of d.pdus) {
      if (ids.length >= maxPdusPerTransaction) break;
      seqs.push(p.seq);
      add(p.eventId);
    }

    const edus = d.edus.splice(0, maxEdusPerTransaction);
    const stored = await this.#deps.events.getMany(ids);
    const pdus: unknown[] = [];
    const eventIds: string[] = [];
    stored.forEach((event, i) => {
      if (event === undefined) {
        this.#deps.logger.warn({ destination: d.name, eventId: ids[i] }, "queued event not found; skipped");
        return;
      }
      pdus.push(JSON.parse(event.json));
      eventIds.push(event.eventId);
    });
    // Any transaction announces us; an empty one is sent only when nothing else is.
    const announcement = d.announce && pdus.length === 0 && edus.length === 0;
    d.announce = false;
    if (pdus.length === 0 && edus.length === 0 && !announcement) {
      // Only missing events: nothing to send, but they leave the queue.
      if (seqs.length > 0 || catchUp.size > 0) {
        await this.#acknowledge(d, { seqs, catchUp });
        return this.#hasWork(d) ? this.#build(d) : undefined;
      }
      return undefined;
    }

    const counter = d.txnCounter + 1;
    // Persisted before the first attempt: a transaction ID is never reused for other content, even
    // across a crash (receivers deduplicate by transaction ID).
    await this.#store.write([this.#store.txnCounterOp(d.name, counter)]);
    d.txnCounter = counter;
    return {
      id: String(counter),
      body: { origin: this.#deps.serverName, origin_server_ts: this.#deps.now(), pdus, edus },
      seqs,
      catchUp,
      eventIds,
      ...(announcement ? { announcement } : {}),
    };
  }

  async #send(d: Destination, txn: Transaction): Promise<Outcome> {
    const outcome = await this.#attempt(d, txn);
    this.#deps.metrics?.transaction(
      outcome.kind,
      Buffer.byteLength(JSON.stringify(txn.body)),
      txn.body.pdus.length,
      txn.body.edus.length,
    );
    return outcome;
  }

  async #attempt(d: Destination, txn: Transaction): Promise<Outcome> {
    const { logger } = this.#deps;
    const path = `/_matrix/federation/v1/send/${encodeURIComponent(txn.id)}`;
    d.abort = new AbortController();
    try {
      const res = await this.#deps.client.request<{ pdus?: Record<string, { error?: unknown }> }>(
        d.name,
        "PUT",
        path,
        { body: txn.body, signal: d.abort.signal, timeoutMs: this.#options.requestTimeoutMs },
      );
      const results = res.json?.pdus;
      if (results && typeof results === "object") {
        for (const [eventId, result] of Object.entries(results)) {
          if (result && typeof result === "object" && result.error !== undefined) {
            logger.warn(
              { destination: d.name, txnId: txn.id, eventId, error: String(result.error).slice(0, 500) },
              "destination refused a PDU",
            );
          }
        }
      }
      logger.debug(
        { destination: d.name, txnId: txn.id, pdus: txn.body.pdus.length, edus: txn.body.edus.length },
        "transaction sent",
      );
      return { kind: "sent" };
    } catch (err) {
      if (err instanceof FederationRequestError) {
        if (err.status === 429) {
          logger.info({ destination: d.name, txnId: txn.id }, "destination rate-limited a transaction");
          return { kind: "retry", ...(err.retryAfterMs === undefined ? {} : { afterMs: err.retryAfterMs }) };
        }
        if (err.status >= 400 && err.status < 500 && err.status !== 408) {
          logger.warn(
            {
              destination: d.name,
              txnId: txn.id,
              status: err.status,
              errcode: err.errcode,
              events: txn.eventIds,
            },
            "destination refused a transaction; dropped",
          );
          return { kind: "dropped" };
        }
        logger.info(
          { destination: d.name, txnId: txn.id, status: err.status },
          "transaction failed; will retry",
        );
        return { kind: "retry" };
      }
      if (err instanceof FederationTransportError) {
        logger.info(
          { destination: d.name, txnId: txn.id, reason: err.reason, message: err.message },
          "destination unreachable; will retry",
        );
        return { kind: "retry" };
      }
      logger.error(
        { err, destination: d.name, txnId: txn.id },
        "transaction failed unexpectedly; will retry",
      );
      return { kind: "retry" };
    } finally {
      d.abort = undefined;
    }
  }

  /** Removes what a transaction carried from the queue, durably. */
  async #acknowledge(d: Destination, txn: Pick<Transaction, "seqs" | "catchUp">): Promise<void> {
    const done = new Set(txn.seqs);
    // A marker updated since the transaction was built (a newer overflow) stays.
    const cleared = [...txn.catchUp].filter(([roomId, eventId]) => d.catchUp.get(roomId) === eventId);
    for (const [roomId] of cleared) d.catchUp.delete(roomId);
    d.pdus = d.pdus.filter((p) => !done.has(p.seq));
    await this.#store.write([
      ...this.#store.dequeueOps(d.name, done),
      ...this.#store.clearCatchUpOps(
        d.name,
        cleared.map(([roomId]) => roomId),
      ),
    ]);
  }
}

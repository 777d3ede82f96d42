/**
 * Events keyspaces:
 * - `eventid_event`: event ID → the event as received or created (JSON text, kept verbatim so that
 *   hashes and signatures are checked over what was received) plus internal metadata;
 * - `roomid_stream_eventid`: (room, stream ordering) → event ID: the room timeline clients see;
 * - `roomid_depth_stream_eventid`: (room, depth, stream) → event ID: topological order for pagination;
 * - `txn_eventid`: (user, device, transaction ID) → event ID: idempotent sends.
 */
import type { Pdu } from "@hearth/federation";
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange, SEP } from "./keys.js";

/** What is stored per event. */
export interface EventRecord {
  /** The event JSON (v3+: without `event_id`, which is not part of the event). */
  readonly json: string;
  readonly roomId: string;
  /** Position in the events stream; 0 for outliers, which are not in the timeline. */
  readonly stream: number;
  readonly depth: number;
  /** State group of the state after the event (-1 for outliers). */
  readonly stateGroup: number;
  /** State group of the state before the event (-1 for outliers and the create event). */
  readonly stateGroupBefore: number;
  /** Why the event was rejected, if it was. */
  readonly rejected?: string;
  /** Persisted but not used for current state or sent to clients (pipeline step 5). */
  readonly softFailed?: boolean;
  /** Known only as part of another event's auth chain or state; not in the timeline. */
  readonly outlier?: boolean;
  /** The redaction event that was applied to this event. */
  readonly redactedBy?: string;
  /**
   * Fetched from another server to page back through history (`/backfill`): in the topological order
   * that `/messages` reads, but not in the stream order of `/sync` (it is old history, not news).
   */
  readonly backfilled?: boolean;
  /** The local sender's device and transaction ID, for `unsigned.transaction_id`. */
  readonly txn?: { readonly deviceId: string; readonly txnId: string };
}

/** A stored event with its ID and parsed form. */
export interface StoredEvent extends EventRecord {
  readonly eventId: string;
  readonly pdu: Pdu;
}

/** A position in a room's topological order. */
export interface TopologicalPosition {
  readonly depth: number;
  readonly stream: number;
}

/** Reads and writes events. */
export class EventStore {
  readonly #events: Keyspace<EventRecord>;
  readonly #timeline: Keyspace<string>;
  readonly #topological: Keyspace<string>;
  readonly #txns: Keyspace<string>;
  readonly #cache = new Map<string, StoredEvent>();
  /** Transaction IDs of events written or being written (so a retry never sends twice). */
  readonly #txnCache = new Map<string, string>();
  readonly #cacheLimit: number;

  constructor(db: Database, cacheLimit = 20_000) {
    this.#events = db.keyspace("eventid_event");
    this.#timeline = db.keyspace("roomid_stream_eventid");
    this.#topological = db.keyspace("roomid_depth_stream_eventid");
    this.#txns = db.keyspace("txn_eventid");
    this.#cacheLimit = cacheLimit;
  }

  #remember(ev: StoredEvent): StoredEvent {
    if (this.#cache.size >= this.#cacheLimit) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(ev.eventId, ev);
    return ev;
  }

  /** An event by ID. */
  async get(eventId: string): Promise<StoredEvent | undefined> {
    const cached = this.#cache.get(eventId);
    if (cached) return cached;
    const record = await this.#events.get(eventId);
    if (!record) return undefined;
    return this.#remember({ ...record, eventId, pdu: withEventId(record.json, eventId) });
  }

  /** Events by ID, in the same order (undefined where unknown). */
  async getMany(eventIds: readonly string[]): Promise<Array<StoredEvent | undefined>> {
    const out: Array<StoredEvent | undefined> = new Array(eventIds.length);
    const missing: number[] = [];
    eventIds.forEach((id, i) => {
      const cached = this.#cache.get(id);
      if (cached) out[i] = cached;
      else missing.push(i);
    });
    if (missing.length > 0) {
      const records = await this.#events.getMany(missing.map((i) => eventIds[i]!));
      missing.forEach((i, j) => {
        const record = records[j];
        const id = eventIds[i]!;
        out[i] = record
          ? this.#remember({ ...record, eventId: id, pdu: withEventId(record.json, id) })
          : undefined;
      });
    }
    return out;
  }

  /** Whether an event is stored. */
  async has(eventId: string): Promise<boolean> {
    return this.#cache.has(eventId) || (await this.#events.get(eventId)) !== undefined;
  }

  /** The write operations that store a new event (and index it in the timeline unless outlier/soft-failed). */
  insertOps(eventId: string, record: EventRecord, sender?: string): WriteOp[] {
    const ops: WriteOp[] = [put(this.#events, eventId, record)];
    if (!record.outlier && !record.rejected && !record.softFailed) {
      if (!record.backfilled) ops.push(put(this.#timeline, key(record.roomId, record.stream), eventId));
      ops.push(put(this.#topological, key(record.roomId, record.depth, record.stream), eventId));
    }
    if (record.txn && sender)
      ops.push(put(this.#txns, key(sender, record.txn.deviceId, record.txn.txnId), eventId));
    return ops;
  }

  /**
   * Caches an event whose insert ops were issued (it may not be durable yet): later events in the
   * room are built on it, and a retried transaction finds it.
   */
  inserted(stored: StoredEvent): void {
    this.#remember(stored);
    if (stored.txn) {
      if (this.#txnCache.size >= 10_000) this.#txnCache.delete(this.#txnCache.keys().next().value!);
      this.#txnCache.set(key(stored.pdu.sender, stored.txn.deviceId, stored.txn.txnId), stored.eventId);
    }
  }

  /** The write operation that records an applied redaction on `target`. */
  redactOps(target: StoredEvent, redactionId: string): WriteOp[] {
    const { eventId: _id, pdu: _pdu, ...record } = target;
    return [put(this.#events, target.eventId, { ...record, redactedBy: redactionId })];
  }

  /** Call after the redaction ops were written. */
  redacted(target: StoredEvent, redactionId: string): void {
    this.#cache.set(target.eventId, { ...target, redactedBy: redactionId });
  }

  /** The event a device already sent with this transaction ID, if any. */
  async eventForTransaction(userId: string, deviceId: string, txnId: string): Promise<string | undefined> {
    const k = key(userId, deviceId, txnId);
    return this.#txnCache.get(k) ?? this.#txns.get(k);
  }

  /**
   * Timeline events of a room by stream ordering: those after `after` (exclusive) up to `upTo`
   * (inclusive), ascending, or descending when `reverse`; at most `limit`.
   */
  async timeline(
    roomId: string,
    range: { after?: number; upTo?: number; limit: number; reverse?: boolean },
  ): Promise<StoredEvent[]> {
    const r = prefixRange(roomId);
    const ids: string[] = [];
    for await (const id of this.#timeline.values({
      gt: range.after !== undefined ? key(roomId, range.after) : r.gt,
      ...(range.upTo !== undefined ? { lte: key(roomId, range.upTo) } : { lt: r.lt }),
      reverse: range.reverse ?? false,
      limit: range.limit,
    })) {
      ids.push(id);
    }
    return (await this.getMany(ids)).filter((e): e is StoredEvent => e !== undefined);
  }

  /**
   * Timeline events of a room in topological order from `from` (exclusive): backwards (`dir` "b")
   * or forwards ("f"); at most `limit`. `from` undefined starts at the end (b) or start (f).
   */
  async topological(
    roomId: string,
    range: { from?: TopologicalPosition; to?: TopologicalPosition; dir: "b" | "f"; limit: number },
  ): Promise<StoredEvent[]> {
    const r = prefixRange(roomId);
    const from = range.from ? key(roomId, range.from.depth, range.from.stream) : undefined;
    const to = range.to ? key(roomId, range.to.depth, range.to.stream) : undefined;
    const options =
      range.dir === "b"
        ? { gt: to ?? r.gt, lt: from ?? r.lt, reverse: true, limit: range.limit }
        : { gt: from ?? r.gt, lt: to ?? r.lt, limit: range.limit };
    const ids: string[] = [];
    for await (const id of this.#topological.values(options)) ids.push(id);
    return (await this.getMany(ids)).filter((e): e is StoredEvent => e !== undefined);
  }

  /** The latest timeline event of a room at or before stream position `upTo`. */
  async latestInRoom(roomId: string, upTo?: number): Promise<StoredEvent | undefined> {
    return (
      await this.timeline(roomId, { ...(upTo !== undefined ? { upTo } : {}), limit: 1, reverse: true })
    )[0];
  }

  /** Decodes a timeline key's stream ordering (for tests and tools). */
  static streamOfKey(k: string): number {
    return Number(parts(k)[1]);
  }
}

/** Parses stored event JSON and puts the event ID on it (v3+ events do not carry it). */
function withEventId(json: string, eventId: string): Pdu {
  const pdu = JSON.parse(json) as Pdu;
  pdu.event_id = eventId;
  return pdu;
}

export { SEP };

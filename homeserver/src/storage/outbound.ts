/**
 * Outbound federation keyspaces (the sender's persisted queues):
 * - `destination_seq_pdu`: (destination, sequence) → the room and event ID of a PDU queued for the
 *   destination and not yet acknowledged. The event itself is read from the events keyspace when it
 *   is sent, so the queue holds references only.
 * - `destination_roomid_catchup`: (destination, room) → the latest of our events in that room the
 *   destination missed because its queue overflowed; catch-up sends the room's forward extremities
 *   instead of every missed event.
 * - `destination_txn`: destination → the last transaction counter used (transaction IDs are unique
 *   per destination, across restarts).
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A PDU queued for a destination. */
export interface QueuedPdu {
  /** Position in the destination's queue (increasing in enqueue order). */
  readonly seq: number;
  readonly roomId: string;
  readonly eventId: string;
}

/** Everything persisted for one destination, as loaded at start-up. */
export interface DestinationRecord {
  readonly pdus: QueuedPdu[];
  /** Room → latest missed event of ours (catch-up marker). */
  readonly catchUp: Map<string, string>;
  readonly txnCounter: number;
}

/** Reads and writes the outbound queues. */
export class OutboundStore {
  readonly #pdus: Keyspace<{ roomId: string; eventId: string }>;
  readonly #catchUp: Keyspace<string>;
  readonly #txn: Keyspace<number>;

  constructor(private readonly db: Database) {
    this.#pdus = db.keyspace("destination_seq_pdu");
    this.#catchUp = db.keyspace("destination_roomid_catchup");
    this.#txn = db.keyspace("destination_txn");
  }

  /** Loads every destination with queued PDUs, catch-up markers or a transaction counter. */
  async loadAll(): Promise<Map<string, DestinationRecord>> {
    const out = new Map<string, DestinationRecord>();
    const of = (destination: string): DestinationRecord => {
      let record = out.get(destination);
      if (!record) {
        record = { pdus: [], catchUp: new Map(), txnCounter: 0 };
        out.set(destination, record);
      }
      return record;
    };
    for await (const [k, v] of this.#pdus.iterator()) {
      const [destination, seq] = parts(k);
      of(destination!).pdus.push({ seq: Number(seq), roomId: v.roomId, eventId: v.eventId });
    }
    for await (const [k, eventId] of this.#catchUp.iterator()) {
      const [destination, roomId] = parts(k);
      of(destination!).catchUp.set(roomId!, eventId);
    }
    for await (const [destination, counter] of this.#txn.iterator()) {
      out.set(destination, { ...of(destination), txnCounter: counter });
    }
    return out;
  }

  /** The operation that queues a PDU for a destination. */
  enqueueOp(destination: string, pdu: QueuedPdu): WriteOp {
    return put(this.#pdus, key(destination, pdu.seq), { roomId: pdu.roomId, eventId: pdu.eventId });
  }

  /** The operations that remove acknowledged (or dropped) PDUs from a destination's queue. */
  dequeueOps(destination: string, seqs: Iterable<number>): WriteOp[] {
    return [...seqs].map((seq) => del(this.#pdus, key(destination, seq)));
  }

  /** The operation that marks a room for catch-up, remembering our latest missed event in it. */
  catchUpOp(destination: string, roomId: string, eventId: string): WriteOp {
    return put(this.#catchUp, key(destination, roomId), eventId);
  }

  /** The operations that clear catch-up markers once the destination acknowledged them. */
  clearCatchUpOps(destination: string, roomIds: Iterable<string>): WriteOp[] {
    return [...roomIds].map((roomId) => del(this.#catchUp, key(destination, roomId)));
  }

  /** The operation that persists a destination's last transaction counter. */
  txnCounterOp(destination: string, counter: number): WriteOp {
    return put(this.#txn, destination, counter);
  }

  /** Writes `ops` atomically and durably. */
  write(ops: readonly WriteOp[]): Promise<void> {
    return this.db.write(ops);
  }

  /** Queued PDUs of one destination, in order (for tests and admin tools). */
  async queued(destination: string): Promise<QueuedPdu[]> {
    const out: QueuedPdu[] = [];
    for await (const [k, v] of this.#pdus.iterator(prefixRange(destination))) {
      out.push({ seq: Number(parts(k)[1]), roomId: v.roomId, eventId: v.eventId });
    }
    return out;
  }
}

/**
 * Read receipts:
 * - `roomid_type_userid_thread_receipt`: the latest receipt of each (room, receipt type, user, thread);
 * - `stream_receipt`: receipts by stream position, for incremental sync.
 * Thread keys are the thread root's event ID, `main`, or "" for unthreaded receipts.
 */
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";
import { key, num, parts, prefixRange } from "./keys.js";

/** One receipt. */
export interface Receipt {
  readonly roomId: string;
  readonly type: string;
  readonly userId: string;
  /** "" for an unthreaded receipt. */
  readonly threadId: string;
  readonly eventId: string;
  readonly ts: number;
  readonly stream: number;
}

/** Reads and writes receipts. */
export class ReceiptStore {
  readonly #latest: Keyspace<Receipt>;
  readonly #log: Keyspace<Receipt>;

  constructor(db: Database) {
    this.#latest = db.keyspace("roomid_type_userid_thread_receipt");
    this.#log = db.keyspace("stream_receipt");
  }

  /** The write operations that record a receipt (replacing the user's previous one of its kind). */
  putOps(r: Receipt): WriteOp[] {
    return [
      put(this.#latest, key(r.roomId, r.type, r.userId, r.threadId), r),
      put(this.#log, num(r.stream), r),
    ];
  }

  /** The current receipt of a user of a type and thread in a room. */
  async get(roomId: string, type: string, userId: string, threadId: string): Promise<Receipt | undefined> {
    return this.#latest.get(key(roomId, type, userId, threadId));
  }

  /** Every current receipt in a room. */
  async inRoom(roomId: string): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for await (const r of this.#latest.values(prefixRange(roomId))) out.push(r);
    return out;
  }

  /** Receipts with stream positions in (after, upTo], in order. */
  async since(after: number, upTo: number): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for await (const r of this.#log.values({ gt: num(after), lte: num(upTo) })) out.push(r);
    return out;
  }

  /** The highest stream position recorded (0 when none). */
  async lastPosition(): Promise<number> {
    for await (const k of this.#log.keys({ reverse: true, limit: 1 })) return Number(parts(k)[0]);
    return 0;
  }
}

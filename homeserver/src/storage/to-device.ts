/**
 * To-device messages:
 * - `userid_deviceid_stream_message`: a device's inbox, by stream position, until a sync acknowledges it;
 * - `txn_todevice`: (sender, device, transaction ID) → "" so a retried send is not delivered twice.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A to-device message in an inbox. */
export interface ToDeviceMessage {
  readonly sender: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
  readonly stream: number;
}

/** Reads and writes device inboxes. */
export class ToDeviceStore {
  readonly #inbox: Keyspace<ToDeviceMessage>;
  readonly #txns: Keyspace<string>;

  constructor(db: Database) {
    this.#inbox = db.keyspace("userid_deviceid_stream_message");
    this.#txns = db.keyspace("txn_todevice");
  }

  /** The write operation that puts a message in a device's inbox. */
  deliverOps(userId: string, deviceId: string, m: ToDeviceMessage): WriteOp[] {
    return [put(this.#inbox, key(userId, deviceId, m.stream), m)];
  }

  /** Whether a transaction was already sent (and the op that records it). */
  async seenTransaction(id: readonly string[]): Promise<boolean> {
    return (await this.#txns.get(key(...id))) !== undefined;
  }
  transactionOps(id: readonly string[]): WriteOp[] {
    return [put(this.#txns, key(...id), "")];
  }

  /** A device's messages with stream positions in (after, upTo], oldest first. */
  async inbox(
    userId: string,
    deviceId: string,
    after: number,
    upTo: number,
    limit = 100,
  ): Promise<ToDeviceMessage[]> {
    const out: ToDeviceMessage[] = [];
    const r = prefixRange(userId, deviceId);
    for await (const m of this.#inbox.values({
      gt: after > 0 ? key(userId, deviceId, after) : r.gt,
      lte: key(userId, deviceId, upTo),
      limit,
    })) {
      out.push(m);
    }
    return out;
  }

  /** The delete operations for a device's messages up to `upTo` (acknowledged by a sync). */
  async acknowledgeOps(userId: string, deviceId: string, upTo: number): Promise<WriteOp[]> {
    const ops: WriteOp[] = [];
    const r = prefixRange(userId, deviceId);
    for await (const k of this.#inbox.keys({ gt: r.gt, lte: key(userId, deviceId, upTo) })) {
      ops.push(del(this.#inbox, k));
    }
    return ops;
  }

  /** The stream position in an inbox key (for tools). */
  static streamOf(k: string): number {
    return Number(parts(k)[2]);
  }
}

/**
 * Account data keyspaces (Client-Server API, "Client Config"):
 * - `userid_type_accountdata`: (user, type) → global account data and its stream position;
 * - `userid_roomid_type_accountdata`: (user, room, type) → per-room account data and its position;
 * - `userid_stream_accountdatachange`: (user, stream position) → which item changed there: the change
 *   log incremental sync reads. Each item keeps only its latest log entry.
 * The stream position itself is persisted by the service (a `meta_counter`).
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** One stored account data item. */
export interface AccountDataRecord {
  readonly content: Record<string, unknown>;
  /** Position in the account data stream of the last change. */
  readonly stream: number;
}

/** One entry of the change log. */
export interface AccountDataChange {
  readonly stream: number;
  /** The room, for per-room account data. */
  readonly roomId?: string;
  readonly type: string;
}

interface ChangeRecord {
  readonly roomId?: string;
  readonly type: string;
}

/** Reads and writes account data. */
export class AccountDataStore {
  readonly #global: Keyspace<AccountDataRecord>;
  readonly #room: Keyspace<AccountDataRecord>;
  readonly #changes: Keyspace<ChangeRecord>;

  constructor(db: Database) {
    this.#global = db.keyspace("userid_type_accountdata");
    this.#room = db.keyspace("userid_roomid_type_accountdata");
    this.#changes = db.keyspace("userid_stream_accountdatachange");
  }

  /** One item: global when `roomId` is undefined. */
  async get(
    userId: string,
    roomId: string | undefined,
    type: string,
  ): Promise<AccountDataRecord | undefined> {
    return roomId === undefined
      ? this.#global.get(key(userId, type))
      : this.#room.get(key(userId, roomId, type));
  }

  /** Every global item of a user: type → record. */
  async allGlobal(userId: string): Promise<Map<string, AccountDataRecord>> {
    const out = new Map<string, AccountDataRecord>();
    for await (const [k, v] of this.#global.iterator(prefixRange(userId))) out.set(parts(k)[1]!, v);
    return out;
  }

  /** Every per-room item of a user: room → type → record. */
  async allRooms(userId: string): Promise<Map<string, Map<string, AccountDataRecord>>> {
    const out = new Map<string, Map<string, AccountDataRecord>>();
    for await (const [k, v] of this.#room.iterator(prefixRange(userId))) {
      const [, roomId, type] = parts(k);
      let m = out.get(roomId!);
      if (!m) {
        m = new Map();
        out.set(roomId!, m);
      }
      m.set(type!, v);
    }
    return out;
  }

  /** The changes of a user's account data after position `after`, up to `upTo` (inclusive), ascending. */
  async changes(userId: string, after: number, upTo: number): Promise<AccountDataChange[]> {
    const out: AccountDataChange[] = [];
    if (upTo <= after) return out;
    for await (const [k, v] of this.#changes.iterator({ gt: key(userId, after), lte: key(userId, upTo) })) {
      out.push({
        stream: Number(parts(k)[1]),
        type: v.type,
        ...(v.roomId !== undefined ? { roomId: v.roomId } : {}),
      });
    }
    return out;
  }

  /**
   * The write operations that set an item to `content` at stream position `stream`, replacing the
   * change-log entry of the `previous` version.
   */
  setOps(
    userId: string,
    roomId: string | undefined,
    type: string,
    content: Record<string, unknown>,
    stream: number,
    previous: AccountDataRecord | undefined,
  ): WriteOp[] {
    const record: AccountDataRecord = { content, stream };
    const ops: WriteOp[] = [
      roomId === undefined
        ? put(this.#global, key(userId, type), record)
        : put(this.#room, key(userId, roomId, type), record),
      put(this.#changes, key(userId, stream), roomId === undefined ? { type } : { roomId, type }),
    ];
    if (previous && previous.stream !== stream) ops.push(del(this.#changes, key(userId, previous.stream)));
    return ops;
  }
}

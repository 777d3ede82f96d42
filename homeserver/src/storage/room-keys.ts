/**
 * Server-side key backups (Client-Server API, "Server-side key backups"):
 * - `room_key_versions`: (user, version number) → the version's algorithm, auth data, etag, and
 *   whether it was deleted (numbers are never reused);
 * - `room_keys`: (user, version, room, session) → the backed-up key data.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A backup version's record. */
export interface BackupVersionRecord {
  readonly algorithm: string;
  /** Algorithm-dependent: an object for the spec's algorithm, any JSON value for others. */
  readonly auth_data: unknown;
  /** Bumped on every change of the keys, as `etag`. */
  readonly etag: number;
  readonly deleted?: boolean;
}

/** One backed-up session key ("KeyBackupData"). */
export type KeyBackupData = Record<string, unknown>;

/** A backed-up key with where it is. */
export interface BackedUpKey {
  readonly roomId: string;
  readonly sessionId: string;
  readonly data: KeyBackupData;
}

/** Reads and writes backups. */
export class RoomKeyStore {
  readonly #versions: Keyspace<BackupVersionRecord>;
  readonly #keys: Keyspace<KeyBackupData>;

  constructor(db: Database) {
    this.#versions = db.keyspace("room_key_versions");
    this.#keys = db.keyspace("room_keys");
  }

  /** The latest version that is not deleted. */
  async latest(userId: string): Promise<{ version: number; record: BackupVersionRecord } | undefined> {
    for await (const [k, record] of this.#versions.iterator({ ...prefixRange(userId), reverse: true })) {
      if (!record.deleted) return { version: Number(parts(k)[1]), record };
    }
    return undefined;
  }

  /** The highest version number ever used (deleted ones included), or 0. */
  async lastNumber(userId: string): Promise<number> {
    for await (const k of this.#versions.keys({ ...prefixRange(userId), reverse: true, limit: 1 })) {
      return Number(parts(k)[1]);
    }
    return 0;
  }

  version(userId: string, version: number): Promise<BackupVersionRecord | undefined> {
    return this.#versions.get(key(userId, version));
  }

  putVersionOps(userId: string, version: number, record: BackupVersionRecord): WriteOp[] {
    return [put(this.#versions, key(userId, version), record)];
  }

  /** How many keys a version holds. */
  async count(userId: string, version: number): Promise<number> {
    let n = 0;
    for await (const _ of this.#keys.keys(prefixRange(userId, version))) n++;
    return n;
  }

  getKey(
    userId: string,
    version: number,
    roomId: string,
    sessionId: string,
  ): Promise<KeyBackupData | undefined> {
    return this.#keys.get(key(userId, version, roomId, sessionId));
  }

  putKeyOps(
    userId: string,
    version: number,
    roomId: string,
    sessionId: string,
    data: KeyBackupData,
  ): WriteOp[] {
    return [put(this.#keys, key(userId, version, roomId, sessionId), data)];
  }

  /** A version's keys (of one room, and one session, when given). */
  async keys(userId: string, version: number, roomId?: string, sessionId?: string): Promise<BackedUpKey[]> {
    const range = roomId === undefined ? prefixRange(userId, version) : prefixRange(userId, version, roomId);
    const out: BackedUpKey[] = [];
    for await (const [k, data] of this.#keys.iterator(range)) {
      const [, , room, session] = parts(k);
      if (sessionId === undefined || session === sessionId)
        out.push({ roomId: room!, sessionId: session!, data });
    }
    return out;
  }

  deleteKeyOps(userId: string, version: number, k: Pick<BackedUpKey, "roomId" | "sessionId">): WriteOp[] {
    return [del(this.#keys, key(userId, version, k.roomId, k.sessionId))];
  }
}

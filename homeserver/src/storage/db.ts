/**
 * The database: one LevelDB per server, a sublevel per keyspace, and group commit.
 *
 * Durability: every write acknowledged to a client is synced to disk. Writes arriving while a synced
 * batch is being written are gathered into the next one, so many concurrent writers share one fsync
 * (group commit) and durability does not cost throughput.
 */
import { Level } from "level";

/** Range options of iterators: bounds and direction. */
export interface RangeOptions {
  readonly gt?: string;
  readonly gte?: string;
  readonly lt?: string;
  readonly lte?: string;
  readonly reverse?: boolean;
  readonly limit?: number;
}

/**
 * A keyspace: a sublevel of string keys and JSON values, seen through the few operations storage
 * modules use. Writes go through {@link Database.write}, never directly.
 */
export interface Keyspace<V = unknown> {
  get(key: string): Promise<V | undefined>;
  getMany(keys: string[]): Promise<Array<V | undefined>>;
  iterator(options?: RangeOptions): AsyncIterableIterator<[string, V]>;
  keys(options?: RangeOptions): AsyncIterableIterator<string>;
  values(options?: RangeOptions): AsyncIterableIterator<V>;
}

/** One operation of an atomic batch. */
export type WriteOp =
  | {
      readonly type: "put";
      readonly sublevel: Keyspace<never>;
      readonly key: string;
      readonly value: unknown;
    }
  | { readonly type: "del"; readonly sublevel: Keyspace<never>; readonly key: string };

/** The database handle services and storage modules share. */
export class Database {
  readonly #db: Level<string, unknown>;
  #pending: { ops: WriteOp[]; waiters: Array<{ resolve(): void; reject(e: unknown): void }> } | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #failed: unknown;

  private constructor(db: Level<string, unknown>) {
    this.#db = db;
  }

  /** Opens (creating if needed) the database at `path`. */
  static async open(path: string): Promise<Database> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.open();
    return new Database(db);
  }

  /** A keyspace (sublevel) named `name`, with JSON values. */
  keyspace<V>(name: string): Keyspace<V> {
    return this.#db.sublevel<string, V>(name, { valueEncoding: "json" }) as unknown as Keyspace<V>;
  }

  /**
   * Writes `ops` atomically and durably. Concurrent calls are grouped: all writes that arrive while a
   * batch is being synced go into the next batch, which is written as one atomic, synced batch. The
   * promise resolves once this call's operations are on disk.
   */
  write(ops: readonly WriteOp[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("database is closed"));
    // After a failed batch nothing more is written: later batches may depend on the lost one
    // (callers keep in-memory state ahead of the disk), so the server must restart.
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (ops.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (!this.#pending) this.#pending = { ops: [], waiters: [] };
      this.#pending.ops.push(...ops);
      this.#pending.waiters.push({ resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    // Let writes issued in the same tick join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.#pending) {
      const { ops, waiters } = this.#pending;
      this.#pending = undefined;
      try {
        await this.#db.batch(ops as never, { sync: true });
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.#failed = e;
        for (const w of waiters) w.reject(e);
        const rest = this.#pending as { waiters: Array<{ reject(e: unknown): void }> } | undefined;
        this.#pending = undefined;
        for (const w of rest?.waiters ?? []) w.reject(e);
      }
    }
    this.#flushing = undefined;
  }

  /** Whether a write has failed (the database then refuses writes until restarted). */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** Waits for pending writes, then closes the database. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#closed = true;
    await this.#db.close();
  }
}

/** The put operation for `key` in `sublevel`. */
export function put<V>(sublevel: Keyspace<V>, key: string, value: V): WriteOp {
  return { type: "put", sublevel: sublevel as unknown as Keyspace<never>, key, value };
}

/** The delete operation for `key` in `sublevel`. */
export function del<V>(sublevel: Keyspace<V>, key: string): WriteOp {
  return { type: "del", sublevel: sublevel as unknown as Keyspace<never>, key };
}

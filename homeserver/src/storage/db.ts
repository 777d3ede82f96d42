/**
 * The database: one LevelDB per server, a sublevel per keyspace, and group commit.
 *
 * Durability: every write acknowledged to a client is synced to disk. Writes arriving while a synced
 * batch is being written are gathered into the next one, so many concurrent writers share one fsync
 * (group commit) and durability does not cost throughput.
 *
 * Failures stay with the writes that caused them. A value that cannot be encoded fails its own
 * {@link Database.write} call at once, before it joins a batch. A batch the disk refuses (EIO,
 * ENOSPC) fails the requests in it with {@link StorageUnavailableError} (503), and its operations
 * are kept and written, in order, before anything newer: callers update their caches as they issue a
 * write, so the disk must catch up with them rather than lose a batch they already build on. The
 * database retries on its own (reopening LevelDB first: see {@link Database.write}) and reports
 * {@link Database.health} until a write succeeds again.
 */
import { MatrixError } from "@hearth/federation";
import { Level } from "level";
import type { Logger } from "pino";
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

/** A write refused because the disk is failing: 503, try again later. */
export class StorageUnavailableError extends MatrixError {
  override readonly name: string = "StorageUnavailableError";
  constructor(cause: unknown) {
    super("M_UNKNOWN", "The server cannot write to its storage right now; try again later", {}, 503);
    this.cause = cause;
  }
}

/** A value that cannot be stored (it cannot be encoded as JSON). Nothing of the write was queued. */
export class StorageEncodeError extends Error {
  override readonly name: string = "StorageEncodeError";
}

/** What {@link Database.health} reports. */
export type StorageHealth =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Why writes fail (the last error). */
      readonly error: string;
      /** Since when (ms since epoch). */
      readonly since: number;
      /** Writes are refused until the server restarts (too much is waiting to be written). */
      readonly restartRequired: boolean;
    };

/** Options of {@link Database.open}. */
export interface DatabaseOptions {
  /** Where write failures are reported. */
  readonly logger?: Logger;
  /**
   * The most bytes of failed batches kept for retry while the disk fails (default 64 MiB). Past it,
   * writes are refused until a restart (health says so), which reloads a consistent state from disk.
   */
  readonly maxRetainedBytes?: number;
}

/** An operation with its value encoded: what a batch holds. */
type EncodedOp =
  | { type: "put"; sublevel: Keyspace<never>; key: string; value: string; valueEncoding: "utf8" }
  | { type: "del"; sublevel: Keyspace<never>; key: string };

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/** Error codes of a failing disk or a database that must be reopened (LevelDB's and the OS's). */
const DISK_ERROR_CODES = new Set([
  "LEVEL_IO_ERROR",
  "LEVEL_DATABASE_NOT_OPEN",
  "LEVEL_CORRUPTION",
  "EIO",
  "ENOSPC",
  "EROFS",
  "EDQUOT",
]);

/**
 * Whether `e` comes from a failing disk or a database being reopened: such a request is answered
 * 503 (try again), not 500.
 */
export function isDiskError(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return DISK_ERROR_CODES.has(String(err?.code)) || DISK_ERROR_CODES.has(String(err?.cause?.code));
}

/** The first retry waits this long, doubling up to the most. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/** The database handle services and storage modules share. */
export class Database {
  readonly #db: Level<string, unknown>;
  readonly #logger: Logger | undefined;
  readonly #maxRetainedBytes: number;
  /** Sublevels, reopened with the database. */
  readonly #sublevels: Array<{ open(): Promise<void> }> = [];
  #pending: { ops: EncodedOp[]; bytes: number; waiters: Waiter[] } | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  /** Operations of batches the disk refused, written before anything newer. */
  #retained: EncodedOp[] = [];
  #retainedBytes = 0;
  /** Set while writes fail. */
  #failing: { error: unknown; since: number; attempts: number } | undefined;
  #restartRequired = false;

  private constructor(db: Level<string, unknown>, options: DatabaseOptions) {
    this.#db = db;
    this.#logger = options.logger;
    this.#maxRetainedBytes = options.maxRetainedBytes ?? 64 * 1024 * 1024;
  }

  /** Opens (creating if needed) the database at `path`. */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.open();
    return new Database(db, options);
  }

  /** A database over an open `level` instance (tests put a faulty one here). */
  static wrap(db: Level<string, unknown>, options: DatabaseOptions = {}): Database {
    return new Database(db, options);
  }

  /** A keyspace (sublevel) named `name`, with JSON values. */
  keyspace<V>(name: string): Keyspace<V> {
    const sublevel = this.#db.sublevel<string, V>(name, { valueEncoding: "json" });
    this.#sublevels.push(sublevel);
    return sublevel as unknown as Keyspace<V>;
  }

  /**
   * Writes `ops` atomically and durably. Concurrent calls are grouped: all writes that arrive while a
   * batch is being synced go into the next batch, which is written as one atomic, synced batch. The
   * promise resolves once this call's operations are on disk, and rejects with
   * {@link StorageUnavailableError} when the disk refused them (they are kept and written later).
   *
   * Throws {@link StorageEncodeError} synchronously, having queued nothing, when a value cannot be
   * encoded: a caller that updates caches after issuing the write does not update them then.
   */
  write(ops: readonly WriteOp[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("database is closed"));
    if (this.#restartRequired) return Promise.reject(new StorageUnavailableError(this.#failing?.error));
    if (ops.length === 0) return Promise.resolve();
    const encoded: EncodedOp[] = [];
    let bytes = 0;
    for (const op of ops) {
      if (op.type === "del") {
        encoded.push(op);
        bytes += op.key.length;
        continue;
      }
      let value: string | undefined;
      try {
        value = JSON.stringify(op.value);
      } catch (e) {
        this.#logger?.error({ err: e, key: op.key }, "a value could not be encoded; its write is refused");
        throw new StorageEncodeError(`cannot encode the value of ${op.key}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      if (value === undefined) throw new StorageEncodeError(`the value of ${op.key} is not JSON`);
      encoded.push({ type: "put", sublevel: op.sublevel, key: op.key, value, valueEncoding: "utf8" });
      bytes += op.key.length + value.length;
    }
    return new Promise<void>((resolve, reject) => {
      if (!this.#pending) this.#pending = { ops: [], bytes: 0, waiters: [] };
      for (const op of encoded) this.#pending.ops.push(op);
      this.#pending.bytes += bytes;
      this.#pending.waiters.push({ resolve, reject });
      this.#flushing ??= this.#flushLoop();
    });
  }

  /**
   * Resolves once everything written before this call is on disk (at once when nothing is pending);
   * rejects with {@link StorageUnavailableError} while the disk refuses it. For answers that rely on
   * earlier writes, such as an idempotent retry returning an event it created before.
   */
  durable(): Promise<void> {
    if (!this.#flushing && this.#retained.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending ??= { ops: [], bytes: 0, waiters: [] };
      this.#pending.waiters.push({ resolve, reject });
      this.#flushing ??= this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    // Let writes issued in the same tick join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while ((this.#pending || this.#retained.length > 0) && !this.#closed) {
      const batch = this.#pending ?? { ops: [], bytes: 0, waiters: [] };
      this.#pending = undefined;
      const ops = this.#retained.length > 0 ? [...this.#retained, ...batch.ops] : batch.ops;
      try {
        // After a failed write LevelDB's log may end in a torn record, and records appended after it
        // can be lost when the log is replayed: reopen first, which replays what is valid and starts
        // a new log (and clears LevelDB's sticky write error).
        if (this.#failing) await this.#reopen();
        await this.#db.batch(ops as never, { sync: true });
      } catch (e) {
        if (!this.#failed(e, batch)) continue;
        await new Promise<void>((r) =>
          setTimeout(r, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#failing!.attempts - 1))),
        );
        continue;
      }
      this.#retained = [];
      this.#retainedBytes = 0;
      if (this.#failing) {
        this.#logger?.warn(
          { since: new Date(this.#failing.since).toISOString() },
          "storage writes work again; everything kept while they failed is written",
        );
        this.#failing = undefined;
      }
      for (const w of batch.waiters) w.resolve();
    }
    this.#flushing = undefined;
  }

  /**
   * Handles a failed batch; returns whether to wait before the next attempt. A disk error keeps the
   * batch for the next attempt; any other error fails this batch's writes alone (unless it came with
   * kept writes, which cannot be told apart from it: then it counts as a disk error).
   */
  #failed(e: unknown, batch: { ops: EncodedOp[]; bytes: number; waiters: Waiter[] }): boolean {
    if (!isDiskError(e) && this.#retained.length === 0) {
      this.#logger?.error({ err: e }, "a storage batch failed; the writes in it are refused");
      for (const w of batch.waiters) w.reject(e);
      return false;
    }
    if (!this.#failing) {
      this.#failing = { error: e, since: Date.now(), attempts: 0 };
      this.#logger?.error({ err: e }, "storage writes are failing; retrying (GET /health answers 503)");
    }
    this.#failing.error = e;
    this.#failing.attempts++;
    for (const op of batch.ops) this.#retained.push(op);
    this.#retainedBytes += batch.bytes;
    if (this.#retainedBytes > this.#maxRetainedBytes && !this.#restartRequired) {
      this.#restartRequired = true;
      this.#logger?.fatal(
        { retainedBytes: this.#retainedBytes },
        "storage has failed for too long: writes are refused until the server is restarted",
      );
    }
    const refusal = new StorageUnavailableError(e);
    for (const w of batch.waiters) w.reject(refusal);
    if (this.#restartRequired) {
      // Nothing more will be written: drop what was kept and refuse whatever was waiting.
      this.#retained = [];
      const rest = this.#pending;
      this.#pending = undefined;
      for (const w of rest?.waiters ?? []) w.reject(refusal);
      return false;
    }
    return true;
  }

  /** Closes and reopens LevelDB (and the sublevels), clearing a sticky write error. */
  async #reopen(): Promise<void> {
    await this.#db.close();
    await this.#db.open();
    for (const sublevel of this.#sublevels) await sublevel.open();
  }

  /** Whether writes work: the last batch was written (or none failed since the start). */
  health(): StorageHealth {
    if (!this.#failing && !this.#restartRequired) return { ok: true };
    return {
      ok: false,
      error: String((this.#failing?.error as Error | undefined)?.message ?? this.#failing?.error),
      since: this.#failing?.since ?? Date.now(),
      restartRequired: this.#restartRequired,
    };
  }

  /** Waits for pending writes, then closes the database. */
  async close(): Promise<void> {
    while (this.#flushing && !this.#failing) await this.#flushing;
    this.#closed = true;
    const rest = this.#pending;
    this.#pending = undefined;
    for (const w of rest?.waiters ?? []) w.reject(new Error("database is closed"));
    await this.#flushing;
    if (this.#db.status === "open") await this.#db.close();
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

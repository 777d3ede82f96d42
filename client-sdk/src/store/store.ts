/**
 * Where the client keeps what must survive a restart: the session (user, device, access token) and
 * the sync state (the models and the `next_batch` they were built up to, saved together so that a
 * restarted client resumes exactly where its models end). Stores are pluggable; values are
 * JSON-safe data.
 */

/** A key-value store for the client's persistent state. */
export interface ClientStore {
  /** The value saved under `key`, or `undefined`. */
  get<T>(key: string): Promise<T | undefined>;
  /** Saves `value` (JSON-safe data) under `key`. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
  /** Removes everything (on logout). */
  clear(): Promise<void>;
}

/**
 * Keeps everything in memory (the default): a restarted process starts over, but a client stopped
 * and started again in the same process resumes. Values are kept as given, not copied: the client
 * hands over fresh snapshots.
 */
export class MemoryStore implements ClientStore {
  readonly #map = new Map<string, unknown>();

  async get<T>(key: string): Promise<T | undefined> {
    return this.#map.get(key) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.#map.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }
  async clear(): Promise<void> {
    this.#map.clear();
  }
}

/** The parts of the Web Storage API (`localStorage`) {@link WebStorageStore} uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

/**
 * A store over Web Storage (`localStorage` in browsers), each value as JSON under `prefix + key`.
 * Web Storage holds a few megabytes: enough for the session and the sync state of a modest account.
 */
export class WebStorageStore implements ClientStore {
  constructor(
    private readonly storage: StorageLike,
    private readonly prefix = "hearth:",
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const text = this.storage.getItem(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.storage.setItem(this.prefix + key, JSON.stringify(value));
  }
  async delete(key: string): Promise<void> {
    this.storage.removeItem(this.prefix + key);
  }
  async clear(): Promise<void> {
    const keys: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const k = this.storage.key(i);
      if (k?.startsWith(this.prefix)) keys.push(k);
    }
    for (const k of keys) this.storage.removeItem(k);
  }
}

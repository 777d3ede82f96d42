/**
 * Filters keyspace (`userid_filterid_filter`): (user, filter ID) → the filter definition as uploaded
 * (Client-Server API, "Filtering"). Filter IDs are derived from the filter's content, so uploading the
 * same filter twice yields the same ID and nothing is written twice.
 */
import { type Database, type Keyspace, put } from "./db.js";
import { key } from "./keys.js";

/** Stores users' filter definitions. */
export class FilterStore {
  readonly #db: Database;
  readonly #filters: Keyspace<Record<string, unknown>>;

  constructor(db: Database) {
    this.#db = db;
    this.#filters = db.keyspace("userid_filterid_filter");
  }

  /** A user's filter by ID, or undefined when unknown. */
  async get(userId: string, filterId: string): Promise<Record<string, unknown> | undefined> {
    return this.#filters.get(key(userId, filterId));
  }

  /** Stores a filter durably. */
  async put(userId: string, filterId: string, filter: Record<string, unknown>): Promise<void> {
    await this.#db.write([put(this.#filters, key(userId, filterId), filter)]);
  }
}

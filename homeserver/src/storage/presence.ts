/** Presence of local users (`userid_presence`): the last state and status message each one set. */
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";

/** What is stored per local user. */
export interface StoredPresence {
  readonly presence: "online" | "unavailable" | "offline";
  readonly statusMsg?: string;
  readonly lastActiveTs: number;
}

/** Reads and writes local users' presence. */
export class PresenceStore {
  readonly #presence: Keyspace<StoredPresence>;

  constructor(db: Database) {
    this.#presence = db.keyspace("userid_presence");
  }

  /** Every stored presence. */
  async all(): Promise<Map<string, StoredPresence>> {
    const out = new Map<string, StoredPresence>();
    for await (const [k, v] of this.#presence.iterator()) out.set(k, v);
    return out;
  }

  /** The write operation that stores a user's presence. */
  setOps(userId: string, p: StoredPresence): WriteOp[] {
    return [put(this.#presence, userId, p)];
  }
}

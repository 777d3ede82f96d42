/**
 * Pushers (Push Notifications module, "Pushers"): `pushers`: (user, app ID, push key) → the pusher
 * as the client set it, with its owner and when it was set.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key } from "./keys.js";

/** A pusher as `GET /pushers` lists it. */
export interface Pusher {
  readonly pushkey: string;
  readonly kind: string;
  readonly app_id: string;
  readonly app_display_name: string;
  readonly device_display_name: string;
  readonly profile_tag?: string;
  readonly lang: string;
  readonly data: { readonly url?: string; readonly format?: string; readonly [k: string]: unknown };
}

/** A pusher as stored. */
export interface StoredPusher extends Pusher {
  readonly user_id: string;
  readonly pushkey_ts: number;
}

/** Reads and writes pushers. */
export class PusherStore {
  readonly #pushers: Keyspace<StoredPusher>;

  constructor(db: Database) {
    this.#pushers = db.keyspace("pushers");
  }

  /** Every pusher (they are few: loaded once at start). */
  async all(): Promise<StoredPusher[]> {
    const out: StoredPusher[] = [];
    for await (const p of this.#pushers.values()) out.push(p);
    return out;
  }

  putOps(p: StoredPusher): WriteOp[] {
    return [put(this.#pushers, key(p.user_id, p.app_id, p.pushkey), p)];
  }

  deleteOps(p: StoredPusher): WriteOp[] {
    return [del(this.#pushers, key(p.user_id, p.app_id, p.pushkey))];
  }
}

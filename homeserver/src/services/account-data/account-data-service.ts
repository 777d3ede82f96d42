/**
 * Account data (Client-Server API, "Client Config"): global and per-room data a user stores for their
 * own clients, delivered by `/sync`. Every change takes the next position of the `account_data`
 * stream, is written durably with its change-log entry, then wakes the user's syncs.
 */
import { MatrixError } from "@hearth/federation";
import type { AccountDataChange, AccountDataRecord, AccountDataStore } from "../../storage/account-data.js";
import type { Database } from "../../storage/db.js";
import type { RoomStore } from "../../storage/rooms.js";
import { KeyedMutex } from "../keyed-mutex.js";
import type { Notifier } from "../notifier.js";

/** Account data types the server manages: clients may read but not set them ("Server Behaviour"). */
export const SERVER_MANAGED_TYPES: ReadonlySet<string> = new Set(["m.fully_read", "m.push_rules"]);

/** The name of the persisted counter of the account data stream. */
const COUNTER = "account_data";

/** What the service needs. */
export interface AccountDataDeps {
  readonly db: Database;
  readonly store: AccountDataStore;
  /** Persists the stream counter (`meta_counter`). */
  readonly counters: Pick<RoomStore, "counter" | "counterOps">;
  readonly notifier: Notifier;
}

/** An account data event as `/sync` delivers it. */
export interface AccountDataEvent {
  readonly type: string;
  readonly content: Record<string, unknown>;
}

/** Reads and writes account data. Create with {@link AccountDataService.open}. */
export class AccountDataService {
  readonly #deps: AccountDataDeps;
  #position: number;
  /** Positions allocated but not yet written. */
  readonly #inFlight = new Set<number>();
  /** One change of a user's account data at a time. */
  readonly #queue = new KeyedMutex();

  private constructor(deps: AccountDataDeps, position: number) {
    this.#deps = deps;
    this.#position = position;
  }

  /** Loads the stream position and publishes it to the notifier. */
  static async open(deps: AccountDataDeps): Promise<AccountDataService> {
    const position = await deps.counters.counter(COUNTER);
    deps.notifier.setPosition("account_data", position);
    return new AccountDataService(deps, position);
  }

  /**
   * The highest position below which every change is written: syncs read up to here, so a change
   * still being written is never skipped by a token that already counts it.
   */
  get position(): number {
    if (this.#inFlight.size === 0) return this.#position;
    return Math.min(...this.#inFlight) - 1;
  }

  /** An item's content, or undefined. */
  async get(
    userId: string,
    roomId: string | undefined,
    type: string,
  ): Promise<Record<string, unknown> | undefined> {
    return (await this.#deps.store.get(userId, roomId, type))?.content;
  }

  /**
   * Sets an item as a client asks: server-managed types are refused with 405 `M_BAD_JSON`
   * (PUT `/user/{userId}/account_data/{type}`, response 405).
   */
  async setByClient(
    userId: string,
    roomId: string | undefined,
    type: string,
    content: Record<string, unknown>,
  ): Promise<void> {
    if (SERVER_MANAGED_TYPES.has(type)) {
      throw new MatrixError("M_BAD_JSON", `Cannot set ${type} through this API.`, {}, 405);
    }
    await this.set(userId, roomId, type, content);
  }

  /** Sets an item (server-managed types included) and wakes the user's syncs. */
  set(
    userId: string,
    roomId: string | undefined,
    type: string,
    content: Record<string, unknown>,
  ): Promise<void> {
    return this.#queue.run(userId, () => this.#write(userId, roomId, type, content));
  }

  /**
   * Changes an item from its current content (`change` gets it, or undefined), in the user's queue,
   * so that concurrent changes (room tags) do not lose each other.
   */
  update(
    userId: string,
    roomId: string | undefined,
    type: string,
    change: (current: Record<string, unknown> | undefined) => Record<string, unknown>,
  ): Promise<void> {
    return this.#queue.run(userId, async () =>
      this.#write(userId, roomId, type, change(await this.get(userId, roomId, type))),
    );
  }

  /** A room's tags ("Room Tagging"): the `tags` of its `m.tag` account data. */
  async roomTags(userId: string, roomId: string): Promise<Record<string, Record<string, unknown>>> {
    return tagsOf(await this.get(userId, roomId, "m.tag"));
  }

  /** Adds or replaces one tag of a room, keeping the others. */
  setRoomTag(userId: string, roomId: string, tag: string, content: Record<string, unknown>): Promise<void> {
    return this.update(userId, roomId, "m.tag", (current) => ({
      tags: { ...tagsOf(current), [tag]: content },
    }));
  }

  /** Removes one tag of a room, keeping the others. */
  removeRoomTag(userId: string, roomId: string, tag: string): Promise<void> {
    return this.update(userId, roomId, "m.tag", (current) => {
      const { [tag]: _gone, ...rest } = tagsOf(current);
      return { tags: rest };
    });
  }

  async #write(userId: string, roomId: string | undefined, type: string, content: Record<string, unknown>) {
    const { db, store, counters, notifier } = this.#deps;
    const previous = await store.get(userId, roomId, type);
    const stream = ++this.#position;
    this.#inFlight.add(stream);
    try {
      await db.write([
        ...store.setOps(userId, roomId, type, content, stream, previous),
        ...counters.counterOps(COUNTER, stream),
      ]);
    } finally {
      this.#inFlight.delete(stream);
    }
    notifier.notify({ stream: "account_data", position: stream, users: [userId] });
  }

  /** Every global item of a user, as events. */
  async globalEvents(userId: string): Promise<AccountDataEvent[]> {
    return [...(await this.#deps.store.allGlobal(userId))].map(([type, r]) => ({ type, content: r.content }));
  }

  /** Every per-room item of a user, as events per room. */
  async roomEvents(userId: string): Promise<Map<string, AccountDataEvent[]>> {
    const out = new Map<string, AccountDataEvent[]>();
    for (const [roomId, items] of await this.#deps.store.allRooms(userId)) {
      out.set(
        roomId,
        [...items].map(([type, r]) => ({ type, content: r.content })),
      );
    }
    return out;
  }

  /**
   * What changed after position `after` up to `upTo`: the current global items and per-room items
   * (per room) among those changed.
   */
  async changedSince(
    userId: string,
    after: number,
    upTo: number,
  ): Promise<{ global: AccountDataEvent[]; rooms: Map<string, AccountDataEvent[]> }> {
    const changes: AccountDataChange[] = await this.#deps.store.changes(userId, after, upTo);
    const global: AccountDataEvent[] = [];
    const rooms = new Map<string, AccountDataEvent[]>();
    for (const change of changes) {
      const record: AccountDataRecord | undefined = await this.#deps.store.get(
        userId,
        change.roomId,
        change.type,
      );
      if (!record) continue;
      const event = { type: change.type, content: record.content };
      if (change.roomId === undefined) global.push(event);
      else {
        let list = rooms.get(change.roomId);
        if (!list) {
          list = [];
          rooms.set(change.roomId, list);
        }
        list.push(event);
      }
    }
    return { global, rooms };
  }
}

/** The `tags` object of `m.tag` content (none when absent or malformed). */
function tagsOf(content: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const tags = content?.tags;
  return typeof tags === "object" && tags !== null && !Array.isArray(tags)
    ? (tags as Record<string, Record<string, unknown>>)
    : {};
}

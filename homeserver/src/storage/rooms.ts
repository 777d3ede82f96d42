/**
 * Room keyspaces:
 * - `roomid_info`: room → version, current state group, create event;
 * - `roomid_statekey_eventid`: (room, state map key) → event ID: the room's current state;
 * - `roomid_eventid_extremity`: (room, event ID) → depth: forward extremities;
 * - `userid_roomid_membership` and `roomid_userid_membership`: a user's current membership in a room
 *   (from current state), indexed both ways for "rooms of a user" and "members of a room";
 * - `meta_counter`: persisted counters (stream positions, state group IDs).
 */
import { parseStateMapKey, stateMapKey } from "@hearth/federation";
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** What is stored per room. */
export interface RoomInfo {
  readonly roomVersion: string;
  readonly createEventId: string;
  /** The state group of the current state. */
  readonly stateGroup: number;
}

/** A user's membership in a room, as current state says. */
export interface MembershipRecord {
  readonly membership: string;
  readonly eventId: string;
  /** Stream position of the member event (when the membership became current). */
  readonly stream: number;
}

/** The counters the server allocates from. */
export type CounterName = "events" | "stategroup" | (string & {});

/** Reads and writes room metadata, current state, extremities and memberships. */
export class RoomStore {
  readonly #info: Keyspace<RoomInfo>;
  readonly #state: Keyspace<string>;
  readonly #extremities: Keyspace<number>;
  readonly #byUser: Keyspace<MembershipRecord>;
  readonly #byRoom: Keyspace<MembershipRecord>;
  readonly #counters: Keyspace<number>;
  readonly #infoCache = new Map<string, RoomInfo>();
  readonly #stateCache = new Map<string, Map<string, string>>();
  readonly #extremityCache = new Map<string, Map<string, number>>();

  constructor(db: Database) {
    this.#info = db.keyspace("roomid_info");
    this.#state = db.keyspace("roomid_statekey_eventid");
    this.#extremities = db.keyspace("roomid_eventid_extremity");
    this.#byUser = db.keyspace("userid_roomid_membership");
    this.#byRoom = db.keyspace("roomid_userid_membership");
    this.#counters = db.keyspace("meta_counter");
  }

  /** A room's info, or undefined for unknown rooms. */
  async info(roomId: string): Promise<RoomInfo | undefined> {
    const cached = this.#infoCache.get(roomId);
    if (cached) return cached;
    const info = await this.#info.get(roomId);
    if (info) this.#infoCache.set(roomId, info);
    return info;
  }

  /** The write operation that sets a room's info. */
  infoOps(roomId: string, info: RoomInfo): WriteOp[] {
    return [put(this.#info, roomId, info)];
  }

  /** Every known room ID. */
  async allRoomIds(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.#info.keys()) out.push(k);
    return out;
  }

  /** A room's current state (state map key → event ID). The returned map must not be modified. */
  async currentState(roomId: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.#stateCache.get(roomId);
    if (cached) return cached;
    const map = new Map<string, string>();
    for await (const [k, v] of this.#state.iterator(prefixRange(roomId))) map.set(parts(k)[1]!, v);
    this.#stateCache.set(roomId, map);
    return map;
  }

  /** One entry of a room's current state. */
  async currentStateEventId(roomId: string, type: string, stateKey: string): Promise<string | undefined> {
    return (await this.currentState(roomId)).get(stateMapKey(type, stateKey));
  }

  /**
   * The write operations that change a room's current state from `before` to `after`, including the
   * membership indexes for changed `m.room.member` entries (`memberships` gives each new member event's
   * membership and stream position).
   */
  currentStateOps(
    roomId: string,
    before: ReadonlyMap<string, string>,
    after: ReadonlyMap<string, string>,
    memberships: ReadonlyMap<string, { membership: string; stream: number }>,
  ): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const [k, v] of after) {
      if (before.get(k) === v) continue;
      ops.push(put(this.#state, key(roomId, k), v));
      const [type, stateKey] = parseStateMapKey(k);
      if (type === "m.room.member") {
        const m = memberships.get(v);
        if (m) {
          const record: MembershipRecord = { membership: m.membership, eventId: v, stream: m.stream };
          ops.push(
            put(this.#byUser, key(stateKey, roomId), record),
            put(this.#byRoom, key(roomId, stateKey), record),
          );
        }
      }
    }
    for (const k of before.keys()) {
      if (!after.has(k)) ops.push(del(this.#state, key(roomId, k)));
    }
    return ops;
  }

  /**
   * Updates the caches once a room's ops were issued (they may not be durable yet): the next event
   * of the room is built on this state.
   */
  roomChanged(
    roomId: string,
    after: ReadonlyMap<string, string>,
    info: RoomInfo,
    extremities: ReadonlyMap<string, number>,
  ): void {
    this.#stateCache.set(roomId, new Map(after));
    this.#infoCache.set(roomId, info);
    this.#extremityCache.set(roomId, new Map(extremities));
  }

  /** A room's forward extremities: event ID → depth. */
  async extremities(roomId: string): Promise<Map<string, number>> {
    const cached = this.#extremityCache.get(roomId);
    if (cached) return new Map(cached);
    const out = new Map<string, number>();
    for await (const [k, depth] of this.#extremities.iterator(prefixRange(roomId))) {
      out.set(parts(k)[1]!, depth);
    }
    this.#extremityCache.set(roomId, out);
    return new Map(out);
  }

  /** The write operations that replace `removed` extremities with `added` ones. */
  extremityOps(roomId: string, removed: Iterable<string>, added: ReadonlyMap<string, number>): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const id of removed) if (!added.has(id)) ops.push(del(this.#extremities, key(roomId, id)));
    for (const [id, depth] of added) ops.push(put(this.#extremities, key(roomId, id), depth));
    return ops;
  }

  /** A user's membership in a room, if any. */
  async membership(userId: string, roomId: string): Promise<MembershipRecord | undefined> {
    return this.#byUser.get(key(userId, roomId));
  }

  /** Every room a user has a membership in (join, invite, leave, ban, knock), with the membership. */
  async roomsOfUser(userId: string): Promise<Map<string, MembershipRecord>> {
    const out = new Map<string, MembershipRecord>();
    for await (const [k, v] of this.#byUser.iterator(prefixRange(userId))) out.set(parts(k)[1]!, v);
    return out;
  }

  /** Every user with a membership in a room. */
  async membersOfRoom(roomId: string): Promise<Map<string, MembershipRecord>> {
    const out = new Map<string, MembershipRecord>();
    for await (const [k, v] of this.#byRoom.iterator(prefixRange(roomId))) out.set(parts(k)[1]!, v);
    return out;
  }

  /**
   * The write operations that set a user's membership record directly, for memberships in rooms this
   * server has no state for (an invite received over federation, or its rejection).
   */
  outOfBandMembershipOps(userId: string, roomId: string, record: MembershipRecord): WriteOp[] {
    return [put(this.#byUser, key(userId, roomId), record), put(this.#byRoom, key(roomId, userId), record)];
  }

  /** The write operations that forget a user's membership record in a room (after `forget`). */
  forgetOps(userId: string, roomId: string): WriteOp[] {
    return [del(this.#byUser, key(userId, roomId))];
  }

  /** A counter's persisted value (0 if never set). */
  async counter(name: CounterName): Promise<number> {
    return (await this.#counters.get(name)) ?? 0;
  }

  /** The write operation that persists a counter's value. */
  counterOps(name: CounterName, value: number): WriteOp[] {
    return [put(this.#counters, name, value)];
  }
}

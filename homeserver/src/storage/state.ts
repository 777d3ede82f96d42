/**
 * State groups (`stategroup_delta`): a room state is stored as a delta against a parent group, with
 * a full snapshot whenever the delta chain would grow past {@link MAX_CHAIN}, so a 10 000-member room
 * does not copy its state per event and reading any state walks a bounded chain.
 * Keys are state map keys (`stateMapKey(type, stateKey)`); values event IDs.
 */
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";
import { num } from "./keys.js";

/** Longest delta chain before a snapshot is written. */
export const MAX_CHAIN = 64;

interface GroupRecord {
  /** The parent group, absent for snapshots. */
  readonly prev?: number;
  /** Entries changed against the parent (the whole state for snapshots). */
  readonly delta: Record<string, string>;
  /** Number of deltas between this group and its snapshot (0 for snapshots). */
  readonly chain: number;
}

/** Reads and allocates state groups. */
export class StateGroupStore {
  readonly #groups: Keyspace<GroupRecord>;
  readonly #records = new Map<number, GroupRecord>();
  readonly #maps = new Map<number, ReadonlyMap<string, string>>();
  readonly #mapLimit: number;

  constructor(db: Database, mapCacheLimit = 32) {
    this.#groups = db.keyspace("stategroup_delta");
    this.#mapLimit = mapCacheLimit;
  }

  async #record(group: number): Promise<GroupRecord> {
    let record = this.#records.get(group);
    if (!record) {
      record = await this.#groups.get(num(group));
      if (!record) throw new Error(`state group ${group} is missing`);
      if (this.#records.size > 50_000) this.#records.delete(this.#records.keys().next().value!);
      this.#records.set(group, record);
    }
    return record;
  }

  /** The full state of a group. The returned map must not be modified. */
  async state(group: number): Promise<ReadonlyMap<string, string>> {
    const cached = this.#maps.get(group);
    if (cached) return cached;
    const chain: GroupRecord[] = [];
    let g: number | undefined = group;
    while (g !== undefined) {
      const r = await this.#record(g);
      chain.push(r);
      g = r.prev;
    }
    const map = new Map<string, string>();
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const [k, v] of Object.entries(chain[i]!.delta)) map.set(k, v);
    }
    if (this.#maps.size >= this.#mapLimit) this.#maps.delete(this.#maps.keys().next().value!);
    this.#maps.set(group, map);
    return map;
  }

  /** One entry of a group's state, without building the whole map. */
  async entry(group: number, stateKey: string): Promise<string | undefined> {
    const cached = this.#maps.get(group);
    if (cached) return cached.get(stateKey);
    let g: number | undefined = group;
    while (g !== undefined) {
      const r = await this.#record(g);
      const v = r.delta[stateKey];
      if (v !== undefined) return v;
      g = r.prev;
    }
    return undefined;
  }

  /**
   * The write operations for a new group `id` whose state is `parent`'s plus `changes` (or exactly
   * `full` when given: used when a state is not derived from one parent, as after resolution).
   */
  async newGroupOps(
    id: number,
    parent: number | undefined,
    changes: ReadonlyMap<string, string>,
    full?: ReadonlyMap<string, string>,
  ): Promise<{ ops: WriteOp[]; state: ReadonlyMap<string, string> }> {
    let record: GroupRecord;
    let state: Map<string, string>;
    if (full) {
      state = new Map(full);
      record = { delta: Object.fromEntries(state), chain: 0 };
    } else {
      const parentRecord = parent === undefined ? undefined : await this.#record(parent);
      const base = parent === undefined ? new Map<string, string>() : await this.state(parent);
      state = new Map(base);
      for (const [k, v] of changes) state.set(k, v);
      if (parentRecord === undefined || parentRecord.chain + 1 > MAX_CHAIN) {
        record = { delta: Object.fromEntries(state), chain: 0 };
      } else {
        record = { prev: parent!, delta: Object.fromEntries(changes), chain: parentRecord.chain + 1 };
      }
    }
    return { ops: [put(this.#groups, num(id), record)], state };
  }

  /** Call after the group's ops were written: caches it. */
  created(id: number, state: ReadonlyMap<string, string>, ops: WriteOp[]): void {
    const op = ops[0];
    if (op?.type === "put") this.#records.set(id, op.value as GroupRecord);
    if (this.#maps.size >= this.#mapLimit) this.#maps.delete(this.#maps.keys().next().value!);
    this.#maps.set(id, state);
  }
}

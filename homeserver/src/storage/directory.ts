/**
 * Room aliases and the public room directory:
 * - `alias_roomid`: alias → {roomId, creator};
 * - `roomid_alias`: (room, alias) → "" (a room's local aliases);
 * - `roomid_public`: room → true when published in the directory.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** What is stored per alias. */
export interface AliasRecord {
  readonly roomId: string;
  readonly creator: string;
}

/** Aliases and directory visibility. */
export class DirectoryStore {
  readonly #aliases: Keyspace<AliasRecord>;
  readonly #roomAliases: Keyspace<string>;
  readonly #public: Keyspace<boolean>;

  constructor(db: Database) {
    this.#aliases = db.keyspace("alias_roomid");
    this.#roomAliases = db.keyspace("roomid_alias");
    this.#public = db.keyspace("roomid_public");
  }

  /** The room an alias points to. */
  async resolve(alias: string): Promise<AliasRecord | undefined> {
    return this.#aliases.get(alias);
  }

  /** The write operations that create an alias. */
  addAliasOps(alias: string, record: AliasRecord): WriteOp[] {
    return [put(this.#aliases, alias, record), put(this.#roomAliases, key(record.roomId, alias), "")];
  }

  /** The write operations that delete an alias. */
  removeAliasOps(alias: string, roomId: string): WriteOp[] {
    return [del(this.#aliases, alias), del(this.#roomAliases, key(roomId, alias))];
  }

  /** A room's local aliases. */
  async aliasesOf(roomId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.#roomAliases.keys(prefixRange(roomId))) out.push(parts(k)[1]!);
    return out;
  }

  /** Whether a room is published in the directory. */
  async isPublic(roomId: string): Promise<boolean> {
    return (await this.#public.get(roomId)) === true;
  }

  /** The write operation that publishes or unpublishes a room. */
  visibilityOps(roomId: string, isPublic: boolean): WriteOp[] {
    return [isPublic ? put(this.#public, roomId, true) : del(this.#public, roomId)];
  }

  /** Every published room. */
  async publicRooms(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.#public.keys()) out.push(k);
    return out;
  }
}

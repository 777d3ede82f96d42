/**
 * Room aliases and the public room directory (Client-Server API, "Room aliases", "Listing rooms").
 */
import {
  FederationRequestError,
  isValidRoomAlias,
  isValidServerName,
  MatrixError,
  namedPowerLevel,
  requiredPowerLevel,
  stateMapKey,
  userPowerLevel,
} from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import type { DirectoryStore } from "../../storage/directory.js";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "./current-state.js";

/** A public rooms chunk entry ("PublishedRoomsChunk"). */
export interface PublicRoom {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
}

/** What the directory service needs. */
export interface DirectoryServiceDeps {
  readonly serverName: string;
  readonly db: Database;
  readonly directory: DirectoryStore;
  readonly rooms: RoomStore;
  readonly events: EventStore;
  /** Whether a user is a server administrator (may delete any alias). */
  readonly isAdmin: (userId: string) => Promise<boolean>;
  /**
   * Another server's published rooms (`POST /_matrix/federation/v1/publicRooms` with `body`);
   * undefined when federation is off.
   */
  readonly remotePublicRooms?: (server: string, body: Record<string, unknown>) => Promise<unknown>;
}

/** Options of a public room list query. */
export interface PublicRoomsQuery {
  readonly limit?: number;
  readonly since?: string;
  readonly search?: string;
  /** Only rooms of these types (`filter.room_types`); `null` stands for rooms without a type. */
  readonly roomTypes?: ReadonlyArray<string | null>;
  /** Another server whose directory to list (`?server=`); ours when absent or ours. */
  readonly server?: string;
}

/** A page of the public room list. */
export interface PublicRoomsPage {
  chunk: PublicRoom[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

/** Aliases, directory visibility and the public room list. */
export class DirectoryService {
  constructor(private readonly deps: DirectoryServiceDeps) {}

  #localAlias(alias: string): void {
    if (!isValidRoomAlias(alias)) throw new MatrixError("M_INVALID_PARAM", "Invalid room alias");
    if (!alias.endsWith(`:${this.deps.serverName}`)) {
      throw new MatrixError("M_INVALID_PARAM", "Room alias must be on this server");
    }
  }

  /** `PUT /directory/room/{roomAlias}`. */
  async createAlias(userId: string, alias: string, roomId: string): Promise<void> {
    this.#localAlias(alias);
    if (!(await this.deps.rooms.info(roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    if ((await this.deps.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_FORBIDDEN", "You must be in the room to give it an alias");
    }
    if (await this.deps.directory.resolve(alias)) {
      throw new MatrixError("M_UNKNOWN", `Room alias ${alias} already exists`, {}, 409);
    }
    await this.deps.db.write(this.deps.directory.addAliasOps(alias, { roomId, creator: userId }));
  }

  /** `GET /directory/room/{roomAlias}`. */
  async resolveAlias(alias: string): Promise<{ room_id: string; servers: string[] }> {
    if (!isValidRoomAlias(alias)) throw new MatrixError("M_INVALID_PARAM", "Invalid room alias");
    const record = await this.deps.directory.resolve(alias);
    if (!record) throw new MatrixError("M_NOT_FOUND", `Room alias ${alias} not found`);
    return { room_id: record.roomId, servers: [this.deps.serverName] };
  }

  /**
   * `DELETE /directory/room/{roomAlias}`: the alias's creator, a server admin, or a room member who
   * may change `m.room.canonical_alias`.
   */
  async deleteAlias(userId: string, alias: string): Promise<void> {
    this.#localAlias(alias);
    const record = await this.deps.directory.resolve(alias);
    if (!record) throw new MatrixError("M_NOT_FOUND", `Room alias ${alias} not found`);
    if (
      record.creator !== userId &&
      !(await this.deps.isAdmin(userId)) &&
      !(await this.#mayEditAliases(userId, record.roomId))
    ) {
      throw new MatrixError("M_FORBIDDEN", "You may not delete this alias");
    }
    await this.deps.db.write(this.deps.directory.removeAliasOps(alias, record.roomId));
  }

  async #stateEvent(roomId: string, type: string): Promise<StoredEvent | undefined> {
    return currentStateEvent(this.deps, roomId, type);
  }

  async #mayEditAliases(userId: string, roomId: string): Promise<boolean> {
    const info = await this.deps.rooms.info(roomId);
    if (!info || (await this.deps.rooms.membership(userId, roomId))?.membership !== "join") return false;
    const pl = await this.#stateEvent(roomId, "m.room.power_levels");
    const create = await this.#stateEvent(roomId, "m.room.create");
    const level = userPowerLevel(userId, pl?.pdu, create!.pdu, info.roomVersion);
    return level >= requiredPowerLevel("m.room.canonical_alias", "", pl?.pdu, info.roomVersion);
  }

  /** `GET /rooms/{roomId}/aliases`: members, or anyone for world-readable rooms. */
  async roomAliases(userId: string, roomId: string): Promise<string[]> {
    if (!(await this.deps.rooms.info(roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    const joined = (await this.deps.rooms.membership(userId, roomId))?.membership === "join";
    const hv = await this.#stateEvent(roomId, "m.room.history_visibility");
    const worldReadable =
      (hv?.pdu.content as { history_visibility?: unknown })?.history_visibility === "world_readable";
    if (!joined && !worldReadable) throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    return this.deps.directory.aliasesOf(roomId);
  }

  /** `GET /directory/list/room/{roomId}`. */
  async visibility(roomId: string): Promise<"public" | "private"> {
    if (!(await this.deps.rooms.info(roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    return (await this.deps.directory.isPublic(roomId)) ? "public" : "private";
  }

  /** `PUT /directory/list/room/{roomId}`: room moderators (who may send state) or server admins. */
  async setVisibility(userId: string, roomId: string, visibility: "public" | "private"): Promise<void> {
    const info = await this.deps.rooms.info(roomId);
    if (!info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    if (!(await this.deps.isAdmin(userId))) {
      const pl = await this.#stateEvent(roomId, "m.room.power_levels");
      const create = await this.#stateEvent(roomId, "m.room.create");
      const joined = (await this.deps.rooms.membership(userId, roomId))?.membership === "join";
      const level = userPowerLevel(userId, pl?.pdu, create!.pdu, info.roomVersion);
      if (!joined || level < namedPowerLevel("state_default", pl?.pdu, info.roomVersion)) {
        throw new MatrixError("M_FORBIDDEN", "You may not change this room's directory visibility");
      }
    }
    await this.deps.db.write(this.deps.directory.visibilityOps(roomId, visibility === "public"));
  }

  /** A room's summary from its current state, as the public room list and the space hierarchy show it. */
  async roomSummary(roomId: string): Promise<PublicRoom> {
    const state = await this.deps.rooms.currentState(roomId);
    const content = async (type: string): Promise<Record<string, unknown>> => {
      const id = state.get(stateMapKey(type, ""));
      const ev = id ? await this.deps.events.get(id) : undefined;
      return (ev?.pdu.content as Record<string, unknown>) ?? {};
    };
    let joined = 0;
    for (const m of (await this.deps.rooms.membersOfRoom(roomId)).values())
      if (m.membership === "join") joined++;
    const entry: PublicRoom = {
      room_id: roomId,
      num_joined_members: joined,
      world_readable: (await content("m.room.history_visibility")).history_visibility === "world_readable",
      guest_can_join: (await content("m.room.guest_access")).guest_access === "can_join",
    };
    const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    const name = str((await content("m.room.name")).name);
    const topic = str((await content("m.room.topic")).topic);
    const alias = str((await content("m.room.canonical_alias")).alias);
    const avatar = str((await content("m.room.avatar")).url);
    const joinRule = str((await content("m.room.join_rules")).join_rule);
    const roomType = str((await content("m.room.create")).type);
    if (name) entry.name = name;
    if (topic) entry.topic = topic;
    if (alias) entry.canonical_alias = alias;
    if (avatar) entry.avatar_url = avatar;
    if (joinRule) entry.join_rule = joinRule;
    if (roomType) entry.room_type = roomType;
    return entry;
  }

  /**
   * `GET`/`POST /publicRooms`: published rooms, most members first, paginated by an offset token,
   * optionally filtered by a search term over name, topic and alias, and by room type.
   */
  async publicRooms(options: PublicRoomsQuery): Promise<PublicRoomsPage> {
    if (options.server !== undefined && options.server !== this.deps.serverName) {
      return this.#remotePublicRooms(options.server, options);
    }
    const term = options.search?.toLowerCase();
    const all: PublicRoom[] = [];
    for (const roomId of await this.deps.directory.publicRooms()) {
      const entry = await this.roomSummary(roomId);
      if (
        term &&
        ![entry.name, entry.topic, entry.canonical_alias].some((s) => s?.toLowerCase().includes(term))
      ) {
        continue;
      }
      if (options.roomTypes && !options.roomTypes.includes(entry.room_type ?? null)) continue;
      all.push(entry);
    }
    all.sort((a, b) => b.num_joined_members - a.num_joined_members || a.room_id.localeCompare(b.room_id));
    let offset = 0;
    if (options.since !== undefined) {
      const m = /^o(\d+)$/.exec(options.since);
      if (!m) throw new MatrixError("M_INVALID_PARAM", "Invalid pagination token");
      offset = Number(m[1]);
    }
    const limit = options.limit ?? all.length;
    const chunk = all.slice(offset, offset + limit);
    const out: PublicRoomsPage = { chunk, total_room_count_estimate: all.length };
    if (offset + limit < all.length) out.next_batch = `o${offset + limit}`;
    if (offset > 0) out.prev_batch = `o${Math.max(0, offset - limit)}`;
    return out;
  }

  /**
   * Another server's directory ("Published Room Directory", server-server API), asked with `POST`
   * so that a search term can go along. A 4xx refusal is passed on with its errcode; an unreachable
   * or failing server is a 502.
   */
  async #remotePublicRooms(server: string, options: PublicRoomsQuery): Promise<PublicRoomsPage> {
    if (!isValidServerName(server)) throw new MatrixError("M_INVALID_PARAM", "Invalid server name");
    const query = this.deps.remotePublicRooms;
    if (!query) {
      throw new MatrixError("M_FORBIDDEN", "Querying other servers' directories needs federation");
    }
    const body: Record<string, unknown> = {};
    if (options.limit !== undefined) body.limit = options.limit;
    if (options.since !== undefined) body.since = options.since;
    if (options.search !== undefined || options.roomTypes !== undefined) {
      body.filter = {
        ...(options.search !== undefined ? { generic_search_term: options.search } : {}),
        ...(options.roomTypes !== undefined ? { room_types: options.roomTypes } : {}),
      };
    }
    let answer: unknown;
    try {
      answer = await query(server, body);
    } catch (e) {
      if (e instanceof MatrixError) throw e;
      if (e instanceof FederationRequestError && e.status >= 400 && e.status < 500 && e.errcode) {
        const reason = e.remoteMessage ? `: ${e.remoteMessage.slice(0, 300)}` : "";
        throw new MatrixError(e.errcode, `${server} refused the directory query${reason}`, {}, e.status);
      }
      throw new MatrixError(
        "M_UNKNOWN",
        `Could not list the rooms of ${server}: ${(e as Error).message}`,
        {},
        502,
      );
    }
    const page = answer as Partial<PublicRoomsPage> | undefined;
    if (!page || !Array.isArray(page.chunk)) {
      throw new MatrixError("M_UNKNOWN", `${server} answered the directory query with no room list`, {}, 502);
    }
    const out: PublicRoomsPage = {
      chunk: page.chunk.filter((r) => typeof r === "object" && r !== null && typeof r.room_id === "string"),
      total_room_count_estimate:
        typeof page.total_room_count_estimate === "number"
          ? page.total_room_count_estimate
          : page.chunk.length,
    };
    if (typeof page.next_batch === "string") out.next_batch = page.next_batch;
    if (typeof page.prev_batch === "string") out.prev_batch = page.prev_batch;
    return out;
  }
}

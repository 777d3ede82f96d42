/**
 * Spaces (Client-Server API, "Spaces": `GET /rooms/{roomId}/hierarchy`; Server-Server API,
 * `GET /hierarchy/{roomId}`): a space's rooms, found by walking its `m.space.child` state events
 * breadth first. Children held only on other servers are asked of the servers in their `via`
 * (`GET /_matrix/federation/v1/hierarchy`). Only rooms the requester may preview are shown: rooms it is in or
 * invited to, and rooms whose join rule is public or knock or whose history is world readable,
 * or restricted rooms it may join.
 */
import { MatrixError, parseStateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "./current-state.js";
import type { PublicRoom } from "./directory-service.js";
import { allowedRoomIds, inAnyRoom } from "./restricted-join.js";

/** Who asks: a local user, or another server (federation). */
export type HierarchyRequester = { readonly userId: string } | { readonly server: string };

/** What the walk needs. */
export interface SpaceHierarchyDeps {
  readonly rooms: RoomStore;
  readonly events: EventStore;
  readonly summary: (roomId: string) => Promise<PublicRoom>;
  /**
   * `GET /_matrix/federation/v1/hierarchy/{roomId}` on `server`, for children this server does not
   * hold; undefined without federation.
   */
  readonly remote?: (server: string, roomId: string, suggestedOnly: boolean) => Promise<unknown>;
}

/** A room of the hierarchy: its summary and its `m.space.child` events (stripped). */
export type HierarchyRoom = PublicRoom & { children_state: Array<Record<string, unknown>> };

const MAX_ROOMS = 1_000;
const DEFAULT_LIMIT = 50;

function domainOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

/** Walks spaces. */
export class SpaceHierarchy {
  constructor(private readonly deps: SpaceHierarchyDeps) {}

  /** Whether the requester may see a room's summary (see the file header). */
  async mayPreview(who: HierarchyRequester, roomId: string): Promise<boolean> {
    const { rooms } = this.deps;
    if (!(await rooms.info(roomId))) return false;
    if ("userId" in who) {
      const m = (await rooms.membership(who.userId, roomId))?.membership;
      if (m === "join" || m === "invite") return true;
    } else {
      for (const [userId, m] of await rooms.membersOfRoom(roomId)) {
        if (m.membership === "join" && domainOf(userId) === who.server) return true;
      }
    }
    const rules = (await currentStateEvent(this.deps, roomId, "m.room.join_rules"))?.pdu.content as
      | { join_rule?: unknown; allow?: unknown }
      | undefined;
    const rule = rules?.join_rule;
    if (rule === "public" || rule === "knock" || rule === "knock_restricted") return true;
    const hv = (await currentStateEvent(this.deps, roomId, "m.room.history_visibility"))?.pdu.content as
      | { history_visibility?: unknown }
      | undefined;
    if (hv?.history_visibility === "world_readable") return true;
    return (
      (rule === "restricted" || rule === "knock_restricted") &&
      "userId" in who &&
      inAnyRoom(rooms, who.userId, allowedRoomIds(rules))
    );
  }

  /** A room's `m.space.child` events with a `via`, stripped, optionally only the suggested ones. */
  async children(roomId: string, suggestedOnly: boolean): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    const state = await this.deps.rooms.currentState(roomId);
    const ids = [...state].filter(([k]) => parseStateMapKey(k)[0] === "m.space.child").map(([, id]) => id);
    for (const ev of await this.deps.events.getMany(ids)) {
      if (ev?.pdu.type !== "m.space.child") continue;
      const content = ev.pdu.content as { via?: unknown; suggested?: unknown };
      if (!Array.isArray(content.via) || content.via.length === 0) continue;
      if (suggestedOnly && content.suggested !== true) continue;
      out.push(ev);
    }
    return out;
  }

  /** One room's entry: summary and stripped child events. */
  async entry(roomId: string, suggestedOnly: boolean): Promise<HierarchyRoom> {
    const children = await this.children(roomId, suggestedOnly);
    return {
      ...(await this.deps.summary(roomId)),
      children_state: children.map((ev) => ({
        type: ev.pdu.type,
        state_key: ev.pdu.state_key,
        content: ev.pdu.content,
        sender: ev.pdu.sender,
        origin_server_ts: ev.pdu.origin_server_ts,
      })),
    };
  }

  /** `GET /rooms/{roomId}/hierarchy`: the walk, breadth first, paged by an offset (`h<n>`). */
  async hierarchy(
    who: { userId: string },
    roomId: string,
    options: { suggestedOnly: boolean; limit?: number; maxDepth?: number; from?: string },
  ): Promise<{ rooms: HierarchyRoom[]; next_batch?: string }> {
    if (!(await this.deps.rooms.info(roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    if (!(await this.mayPreview(who, roomId)))
      throw new MatrixError("M_FORBIDDEN", "You may not preview this room");
    let offset = 0;
    if (options.from !== undefined) {
      const m = /^h(\d{1,9})$/.exec(options.from);
      if (!m) throw new MatrixError("M_INVALID_PARAM", "Invalid 'from' token");
      offset = Number(m[1]);
    }
    const limit = Math.min(options.limit ?? DEFAULT_LIMIT, DEFAULT_LIMIT * 2);
    const seen = new Set<string>([roomId]);
    const queue: Array<{ roomId: string; depth: number; via: readonly string[] }> = [
      { roomId, depth: 0, via: [] },
    ];
    const walked: HierarchyRoom[] = [];
    // Entries other servers gave us (a child's answer also carries its own children).
    const fetched = new Map<string, HierarchyRoom>();
    while (queue.length > 0 && walked.length < offset + limit + 1 && seen.size <= MAX_ROOMS) {
      const next = queue.shift()!;
      let entry: HierarchyRoom | undefined;
      if (next.roomId === roomId || (await this.deps.rooms.info(next.roomId))) {
        if (next.roomId !== roomId && !(await this.mayPreview(who, next.roomId))) continue;
        entry = await this.entry(next.roomId, options.suggestedOnly);
      } else {
        entry =
          fetched.get(next.roomId) ??
          (await this.#fetch(next.roomId, next.via, options.suggestedOnly, fetched));
        if (!entry || !(await this.#mayPreviewRemote(who, entry))) continue;
      }
      walked.push(entry);
      if (options.maxDepth !== undefined && next.depth >= options.maxDepth) continue;
      for (const child of entry.children_state) {
        const childId = child.state_key as string;
        if (seen.has(childId)) continue;
        seen.add(childId);
        const via = (child.content as { via?: unknown }).via;
        queue.push({
          roomId: childId,
          depth: next.depth + 1,
          via: Array.isArray(via) ? via.filter((v): v is string => typeof v === "string") : [],
        });
      }
    }
    const page = walked.slice(offset, offset + limit);
    return { rooms: page, ...(walked.length > offset + limit ? { next_batch: `h${offset + limit}` } : {}) };
  }

  /**
   * A child held only elsewhere, from the first of its `via` servers that answers; its own children
   * in the answer are kept in `fetched` for when the walk reaches them.
   */
  async #fetch(
    roomId: string,
    via: readonly string[],
    suggestedOnly: boolean,
    fetched: Map<string, HierarchyRoom>,
  ): Promise<HierarchyRoom | undefined> {
    if (!this.deps.remote) return undefined;
    for (const server of via.slice(0, 3)) {
      try {
        const answer = (await this.deps.remote(server, roomId, suggestedOnly)) as {
          room?: unknown;
          children?: unknown;
        };
        const room = answer?.room as HierarchyRoom | undefined;
        if (!room || room.room_id !== roomId || !Array.isArray(room.children_state)) continue;
        for (const c of Array.isArray(answer.children) ? (answer.children as HierarchyRoom[]) : []) {
          if (typeof c?.room_id === "string" && Array.isArray(c.children_state)) fetched.set(c.room_id, c);
        }
        return room;
      } catch {
        // The next server, if any.
      }
    }
    return undefined;
  }

  /**
   * Whether a local user may preview a room only another server holds, from what that server says
   * of it: public or knock join rules, world-readable history, or a restricted room allowing a room
   * the user is in (`allowed_room_ids`).
   */
  async #mayPreviewRemote(who: { userId: string }, entry: HierarchyRoom): Promise<boolean> {
    const e = entry as HierarchyRoom & { allowed_room_ids?: unknown };
    if ((await this.deps.rooms.membership(who.userId, e.room_id))?.membership === "join") return true;
    if (e.join_rule === "public" || e.join_rule === "knock" || e.join_rule === "knock_restricted")
      return true;
    if (e.world_readable === true) return true;
    return (
      e.join_rule === "restricted" &&
      Array.isArray(e.allowed_room_ids) &&
      inAnyRoom(this.deps.rooms, who.userId, e.allowed_room_ids)
    );
  }

  /** For other servers: a restricted room's `allowed_room_ids`, so they can decide for their users. */
  async #withAllowed(entry: HierarchyRoom): Promise<HierarchyRoom> {
    if (entry.join_rule !== "restricted" && entry.join_rule !== "knock_restricted") return entry;
    const rules = (await currentStateEvent(this.deps, entry.room_id, "m.room.join_rules"))?.pdu.content;
    return { ...entry, allowed_room_ids: allowedRoomIds(rules) } as HierarchyRoom;
  }

  /** `GET /_matrix/federation/v1/hierarchy/{roomId}` for another server. */
  async forServer(
    server: string,
    roomId: string,
    suggestedOnly: boolean,
  ): Promise<{ room: HierarchyRoom; children: HierarchyRoom[]; inaccessible_children: string[] }> {
    if (!(await this.mayPreview({ server }, roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    const room = await this.#withAllowed(await this.entry(roomId, suggestedOnly));
    const children: HierarchyRoom[] = [];
    const inaccessible: string[] = [];
    for (const child of room.children_state) {
      const childId = child.state_key as string;
      if (!(await this.deps.rooms.info(childId))) continue;
      if (await this.mayPreview({ server }, childId)) {
        children.push(await this.#withAllowed(await this.entry(childId, suggestedOnly)));
      } else inaccessible.push(childId);
    }
    return { room, children, inaccessible_children: inaccessible };
  }
}

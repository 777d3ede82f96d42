/**
 * Reading a room (Client-Server API, "Getting events for a room"): `/messages` (pagination in
 * topological order), `/context`, `/event`, `/state`, `/members`, `/joined_members` and
 * `/timestamp_to_event`. Every event served passes the user's history visibility; state is read where
 * the user may read it (current state while joined, the state when they left after leaving).
 */
import { MatrixError, stateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { HistoryVisibility, RoomAccess, RoomViewer } from "../visibility/history-visibility.js";
import { eventView, matchesRoomEventFilter, type RoomEventFilter } from "./filter.js";
import type { RoomStateReader } from "./room-state.js";
import {
  formatTopoToken,
  type PaginationToken,
  parsePaginationToken,
  type TopoToken,
  tokenAfter,
  tokenBefore,
} from "./tokens.js";

type Json = Record<string, unknown>;

/** Most events looked at per `/messages` or `/context` request beyond the limit (invisible ones). */
const MAX_EXTRA_SCAN = 500;

/** The requester. */
export interface Reader {
  readonly userId: string;
  readonly deviceId?: string;
}

/** `GET /rooms/{roomId}/messages` parameters. */
export interface MessagesRequest {
  readonly from?: string;
  readonly to?: string;
  readonly dir: "b" | "f";
  readonly limit: number;
  readonly filter?: RoomEventFilter;
}

/** `membership` / `not_membership` of `GET /rooms/{roomId}/members`. */
export interface MembersRequest {
  readonly at?: string;
  readonly membership?: string;
  readonly notMembership?: string;
}

/** What the room reads need. */
export interface RoomReadDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly visibility: HistoryVisibility;
  readonly reader: RoomStateReader;
  /**
   * Fetches history older than the oldest event held from other servers in the room (`/backfill`);
   * returns how many events it added.
   */
  readonly backfill?: (roomId: string, limit: number) => Promise<number>;
}

/** The largest position a key can encode. */
const MAX_POS = Number.MAX_SAFE_INTEGER;

/** Orders topological points. */
function compareTopo(a: TopoToken, b: TopoToken): number {
  return a.depth - b.depth || a.stream - b.stream;
}

/** The point just after `t` (for an inclusive bound through an exclusive store range). */
function nextPoint(t: TopoToken): TopoToken {
  return t.stream < MAX_POS ? { depth: t.depth, stream: t.stream + 1 } : { depth: t.depth + 1, stream: 0 };
}

/** Serves room reads. */
export class RoomReadService {
  constructor(private readonly deps: RoomReadDeps) {}

  /** The user's access to a room, or 403 `M_FORBIDDEN`. */
  async #access(userId: string, roomId: string): Promise<RoomAccess> {
    const access = await this.deps.visibility.roomAccess(userId, roomId);
    if (!access)
      throw new MatrixError(
        "M_FORBIDDEN",
        "You aren't a member of the room and weren't previously a member of the room.",
      );
    return access;
  }

  /** A pagination token as a topological point in a room (sync tokens: the latest event at that position). */
  async #point(roomId: string, token: PaginationToken): Promise<TopoToken> {
    if (token.kind === "topo") return token;
    const ev = await this.deps.events.latestInRoom(roomId, token.events);
    return ev ? tokenAfter(ev) : { depth: 0, stream: 0 };
  }

  /**
   * Scans a room in topological order from `from` (exclusive; undefined: an end) towards `to`
   * (inclusive), keeping up to `limit` events that pass the filter and visibility.
   */
  async #scan(
    viewer: RoomViewer,
    roomId: string,
    dir: "b" | "f",
    from: TopoToken | undefined,
    to: TopoToken | undefined,
    limit: number,
    filter: RoomEventFilter | undefined,
  ): Promise<{ events: StoredEvent[]; last: StoredEvent | undefined; exhausted: boolean }> {
    const out: StoredEvent[] = [];
    let last: StoredEvent | undefined;
    let cursor = from;
    let scanned = 0;
    let batch = Math.min(Math.max(limit + 1, 10), 500);
    if (limit === 0) return { events: out, last, exhausted: false };
    for (;;) {
      // Store ranges are exclusive at both ends: backwards from `from` includes the event at `from`.
      const evs = await this.deps.events.topological(roomId, {
        dir,
        limit: batch,
        ...(cursor ? { from: dir === "b" ? nextPoint(cursor) : cursor } : {}),
        ...(to ? { to: dir === "b" ? to : nextPoint(to) } : {}),
      });
      for (const ev of evs) {
        last = ev;
        scanned++;
        if (matchesRoomEventFilter(filter, eventView(ev)) && (await viewer.canSee(ev))) {
          out.push(ev);
          if (out.length >= limit) return { events: out, last, exhausted: false };
        }
      }
      if (evs.length < batch) return { events: out, last, exhausted: true };
      if (scanned >= limit + MAX_EXTRA_SCAN) return { events: out, last, exhausted: false };
      cursor = dir === "b" ? tokenBefore(last!) : tokenAfter(last!);
      batch = Math.min(batch * 2, 500);
    }
  }

  /** `GET /rooms/{roomId}/messages`. */
  async messages(user: Reader, roomId: string, req: MessagesRequest): Promise<Json> {
    const access = await this.#access(user.userId, roomId);
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    let from =
      req.from !== undefined ? await this.#point(roomId, parsePaginationToken(req.from, "from")) : undefined;
    let to = req.to !== undefined ? await this.#point(roomId, parsePaginationToken(req.to, "to")) : undefined;
    if (access.kind === "departed" && req.dir === "f") {
      // Nothing after their leave is visible to a departed user: stop there rather than scan on.
      const leave = tokenAfter(access.event);
      if (!to || compareTopo(to, leave) > 0) to = leave;
    }
    let start: string;
    if (req.from !== undefined) start = req.from;
    else if (req.dir === "b") {
      // From the end; for a departed user, the end of what they could see: their leave.
      if (access.kind === "departed") from = tokenAfter(access.event);
      else {
        const [latest] = await this.deps.events.topological(roomId, { dir: "b", limit: 1 });
        from = latest ? tokenAfter(latest) : { depth: 0, stream: 0 };
      }
      start = formatTopoToken(from);
    } else start = formatTopoToken({ depth: 0, stream: 0 });

    let scan = await this.#scan(viewer, roomId, req.dir, from, to, req.limit, req.filter);
    // Paging back past the oldest event we hold: ask the room's other servers for older history,
    // while the page is short and they still have some (bounded).
    for (
      let round = 0;
      req.dir === "b" && scan.exhausted && scan.events.length < req.limit && round < 5;
      round++
    ) {
      if (!this.deps.backfill || (await this.deps.backfill(roomId, req.limit)) === 0) break;
      scan = await this.#scan(viewer, roomId, req.dir, from, to, req.limit, req.filter);
    }
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    const out: Json = {
      start,
      chunk: await this.deps.reader.serialize(scan.events, opts),
    };
    if (!scan.exhausted) {
      const last = scan.last;
      out.end = last ? formatTopoToken(req.dir === "b" ? tokenBefore(last) : tokenAfter(last)) : start;
    }
    if (req.filter?.lazy_load_members && scan.events.length > 0) {
      const state = await this.deps.reader.stateOf(scan.events[0]!.stateGroup);
      const senders = new Set(scan.events.map((e) => e.pdu.sender));
      const ids = [...senders]
        .map((s) => state.get(stateMapKey("m.room.member", s)))
        .filter((id) => id !== undefined);
      out.state = await this.deps.reader.serialize(await this.deps.reader.load(ids), opts);
    }
    return out;
  }

  /** `GET /rooms/{roomId}/context/{eventId}`. */
  async context(
    user: Reader,
    roomId: string,
    eventId: string,
    limit: number,
    filter: RoomEventFilter | undefined,
  ): Promise<Json> {
    await this.#access(user.userId, roomId);
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    const ev = await this.#visibleEvent(viewer, roomId, eventId);
    const beforeLimit = Math.floor(limit / 2);
    const afterLimit = limit - beforeLimit;
    const before = await this.#scan(viewer, roomId, "b", tokenBefore(ev), undefined, beforeLimit, filter);
    const after = await this.#scan(viewer, roomId, "f", tokenAfter(ev), undefined, afterLimit, filter);
    const lastReturned = after.events[after.events.length - 1] ?? ev;
    const state = await this.deps.reader.stateOf(lastReturned.stateGroup);
    let members: Set<string> | undefined;
    if (filter?.lazy_load_members) {
      members = new Set([ev, ...before.events, ...after.events].map((e) => e.pdu.sender));
    }
    const stateEvents = await this.deps.reader.selectState(state, filter, roomId, members);
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    const { reader } = this.deps;
    return {
      start: formatTopoToken(tokenBefore(before.last ?? ev)),
      end: formatTopoToken(tokenAfter(after.last ?? ev)),
      events_before: await reader.serialize(before.events, opts),
      event: (await reader.serialize([ev], opts))[0],
      events_after: await reader.serialize(after.events, opts),
      state: await reader.serialize(stateEvents, opts),
    };
  }

  async #visibleEvent(viewer: RoomViewer, roomId: string, eventId: string): Promise<StoredEvent> {
    const ev = await this.deps.events.get(eventId);
    if (!ev || ev.roomId !== roomId || !(await viewer.canSee(ev))) {
      throw new MatrixError("M_NOT_FOUND", "Event not found.");
    }
    return ev;
  }

  /** `GET /rooms/{roomId}/event/{eventId}`: 404 when unknown or not visible to the user. */
  async event(user: Reader, roomId: string, eventId: string): Promise<Json> {
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    const ev = await this.#visibleEvent(viewer, roomId, eventId);
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    return (await this.deps.reader.serialize([ev], opts))[0]!;
  }

  /** The state map a user may read, at an optional point. */
  async #readableState(access: RoomAccess, roomId: string): Promise<ReadonlyMap<string, string>> {
    if (access.kind === "departed") return this.deps.reader.stateOf(access.event.stateGroup);
    return this.deps.rooms.currentState(roomId);
  }

  /** `GET /rooms/{roomId}/state`. */
  async state(user: Reader, roomId: string): Promise<Json[]> {
    const access = await this.#access(user.userId, roomId);
    const state = await this.#readableState(access, roomId);
    const events = await this.deps.reader.load(state.values());
    return this.deps.reader.serialize(events, { userId: user.userId });
  }

  /** `GET /rooms/{roomId}/state/{eventType}/{stateKey}`: the content, or the whole event. */
  async stateEvent(
    user: Reader,
    roomId: string,
    type: string,
    stateKey: string,
    format: "content" | "event",
  ): Promise<Json> {
    const access = await this.#access(user.userId, roomId);
    const state = await this.#readableState(access, roomId);
    const id = state.get(stateMapKey(type, stateKey));
    const ev = id ? await this.deps.events.get(id) : undefined;
    if (!ev)
      throw new MatrixError(
        "M_NOT_FOUND",
        `The room has no state with type ${type} and key ${JSON.stringify(stateKey)}.`,
      );
    const [formatted] = await this.deps.reader.serialize([ev], { userId: user.userId });
    return format === "event" ? formatted! : (formatted!.content as Json);
  }

  /** `GET /rooms/{roomId}/members`. */
  async members(user: Reader, roomId: string, req: MembersRequest): Promise<Json[]> {
    const access = await this.#access(user.userId, roomId);
    let state: ReadonlyMap<string, string>;
    if (req.at !== undefined) {
      const point = await this.#point(roomId, parsePaginationToken(req.at, "at"));
      let [ev] = await this.deps.events.topological(roomId, { dir: "b", from: nextPoint(point), limit: 1 });
      // A departed user sees no later than their leave.
      if (access.kind === "departed" && (!ev || ev.stream > access.event.stream)) ev = access.event;
      state = ev ? await this.deps.reader.stateOf(ev.stateGroup) : new Map();
    } else state = await this.#readableState(access, roomId);
    const ids: string[] = [];
    for (const [k, id] of state) if (k.startsWith('["m.room.member",')) ids.push(id);
    const events = (await this.deps.reader.load(ids)).filter((ev) => {
      const m = (ev.pdu.content as { membership?: unknown }).membership;
      const is = req.membership !== undefined && m === req.membership;
      const isNot = req.notMembership !== undefined && m !== req.notMembership;
      if (req.membership !== undefined && req.notMembership !== undefined) return is || isNot;
      if (req.membership !== undefined) return is;
      if (req.notMembership !== undefined) return isNot;
      return true;
    });
    return this.deps.reader.serialize(events, { userId: user.userId });
  }

  /** `GET /rooms/{roomId}/joined_members`: only for members of the room. */
  async joinedMembers(user: Reader, roomId: string): Promise<Record<string, Json>> {
    const m = await this.deps.rooms.membership(user.userId, roomId);
    if (m?.membership !== "join") throw new MatrixError("M_FORBIDDEN", "You aren't a member of the room.");
    const members = await this.deps.rooms.membersOfRoom(roomId);
    const ids = [...members.values()].filter((r) => r.membership === "join").map((r) => r.eventId);
    const out: Record<string, Json> = {};
    for (const ev of await this.deps.reader.load(ids)) {
      const content = ev.pdu.content as { displayname?: unknown; avatar_url?: unknown };
      const info: Json = {};
      if (typeof content.displayname === "string") info.display_name = content.displayname;
      if (typeof content.avatar_url === "string") info.avatar_url = content.avatar_url;
      out[ev.pdu.state_key!] = info;
    }
    return out;
  }

  /**
   * `GET /rooms/{roomId}/timestamp_to_event`: the visible event closest to `ts` in direction `dir`
   * (`f`: the first at or after `ts`; `b`: the last at or before). Scans the timeline in stream order
   * from whichever end is nearer in time, assuming timestamps grow roughly with arrival.
   */
  async timestampToEvent(user: Reader, roomId: string, ts: number, dir: "b" | "f"): Promise<Json> {
    await this.#access(user.userId, roomId);
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    const { events } = this.deps;
    const [first] = await events.timeline(roomId, { limit: 1 });
    const last = await events.latestInRoom(roomId);
    let found: StoredEvent | undefined;
    if (first && last) {
      const fromEnd = Math.abs(last.pdu.origin_server_ts - ts) < Math.abs(ts - first.pdu.origin_server_ts);
      // Scanning towards the target: stop at the first match. Scanning away from it: keep the best
      // match until timestamps pass the target.
      const towards = (dir === "f") !== fromEnd;
      const hit = (e: StoredEvent) =>
        dir === "f" ? e.pdu.origin_server_ts >= ts : e.pdu.origin_server_ts <= ts;
      let cursor: number | undefined;
      outer: for (;;) {
        const batch = await events.timeline(roomId, {
          limit: 200,
          reverse: fromEnd,
          ...(cursor !== undefined ? (fromEnd ? { upTo: cursor } : { after: cursor }) : {}),
        });
        for (const e of batch) {
          if (hit(e)) {
            if (!(await viewer.canSee(e))) continue;
            found = e;
            if (towards) break outer;
          } else if (!towards) break outer;
        }
        if (batch.length < 200) break;
        const lastOfBatch = batch[batch.length - 1]!;
        cursor = fromEnd ? lastOfBatch.stream - 1 : lastOfBatch.stream;
      }
    }
    if (!found) {
      throw new MatrixError(
        "M_NOT_FOUND",
        `Unable to find event from ${ts} in ${dir === "f" ? "forward" : "backward"} direction`,
      );
    }
    return { event_id: found.eventId, origin_server_ts: found.pdu.origin_server_ts };
  }
}

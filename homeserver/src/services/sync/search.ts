/**
 * Server-side search (Client-Server API, "Server Side Search", `POST /search`): room events of the
 * rooms the user is joined to whose `content.body`, `content.name` or `content.topic` contains every
 * word of the search term (a word matches the words it is a prefix of), newest first, each visible to
 * the user, with optional context and the rooms' current state. `order_by: rank` orders the same way
 * (there is no relevance score: every result has rank 1). Pagination is an offset (`o<n>`).
 */
import { MatrixError, stateMapKey } from "@hearth/federation";
import { isJsonObject } from "../../http/validate.js";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { type SearchHit, type SearchIndex, searchWords } from "../../storage/search.js";
import type { HistoryVisibility, RoomViewer } from "../visibility/history-visibility.js";
import {
  eventView,
  matchesRoomEventFilter,
  parseRoomEventFilter,
  type RoomEventFilter,
  roomAllowed,
} from "./filter.js";

type Json = Record<string, unknown>;

/** What search needs. */
export interface SearchDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly index: SearchIndex;
  readonly visibility: HistoryVisibility;
  readonly serialize: (
    events: readonly StoredEvent[],
    opts: { userId: string; deviceId?: string },
  ) => Promise<Json[]>;
}

const KEYS = ["content.body", "content.name", "content.topic"];
/** Most hits read per word and room. */
const MAX_HITS = 5_000;
const MAX_LIMIT = 100;

function contextLimit(ctx: Record<string, unknown>, name: string): number {
  const v = ctx[name] ?? 5;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new MatrixError("M_BAD_JSON", `event_context.${name} must be a non-negative integer`);
  }
  return Math.min(v, 20);
}

/** Serves `POST /search`. */
export class SearchService {
  constructor(private readonly deps: SearchDeps) {}

  async search(user: { userId: string; deviceId?: string }, body: Json, nextBatch?: string): Promise<Json> {
    const categories = body.search_categories;
    if (!isJsonObject(categories)) throw new MatrixError("M_BAD_JSON", "search_categories must be an object");
    const criteria = categories.room_events;
    if (criteria === undefined) return { search_categories: {} };
    if (!isJsonObject(criteria)) throw new MatrixError("M_BAD_JSON", "room_events must be an object");
    const term = criteria.search_term;
    if (typeof term !== "string") throw new MatrixError("M_BAD_JSON", "search_term must be a string");
    const keys = criteria.keys ?? KEYS;
    if (!Array.isArray(keys) || !keys.every((k) => KEYS.includes(k as string))) {
      throw new MatrixError("M_BAD_JSON", `keys may only list ${KEYS.join(", ")}`);
    }
    const orderBy = criteria.order_by ?? "rank";
    if (orderBy !== "rank" && orderBy !== "recent")
      throw new MatrixError("M_BAD_JSON", "order_by must be rank or recent");
    const filter: RoomEventFilter | undefined =
      criteria.filter === undefined ? undefined : parseRoomEventFilter(criteria.filter, "body");
    const limit = Math.min(filter?.limit ?? 10, MAX_LIMIT);
    let offset = 0;
    if (nextBatch !== undefined) {
      const m = /^o(\d{1,9})$/.exec(nextBatch);
      if (!m) throw new MatrixError("M_INVALID_PARAM", "Invalid next_batch");
      offset = Number(m[1]);
    }

    const words = searchWords(term);
    const roomIds = [...(await this.deps.rooms.roomsOfUser(user.userId))]
      .filter(([roomId, m]) => m.membership === "join" && roomAllowed(filter, roomId))
      .map(([roomId]) => roomId);
    const candidates: Array<SearchHit & { roomId: string }> = [];
    if (words.length > 0) {
      for (const roomId of roomIds) {
        let matching: Map<string, SearchHit> | undefined;
        for (const word of words) {
          const hits = (await this.deps.index.hits(roomId, word, MAX_HITS)).filter((h) =>
            keys.includes(h.field),
          );
          const next = new Map<string, SearchHit>();
          for (const h of hits) if (!matching || matching.has(h.eventId)) next.set(h.eventId, h);
          matching = next;
          if (matching.size === 0) break;
        }
        for (const h of matching?.values() ?? []) candidates.push({ ...h, roomId });
      }
    }
    candidates.sort((a, b) => b.stream - a.stream);

    // The visible, filtered results up to this page's end (and one more, to know there is a next page).
    const viewers = new Map<string, RoomViewer>();
    const viewer = (roomId: string) => {
      const v = viewers.get(roomId) ?? this.deps.visibility.viewer(user.userId, roomId);
      viewers.set(roomId, v);
      return v;
    };
    const visible: StoredEvent[] = [];
    for (const c of candidates) {
      if (visible.length > offset + limit) break;
      const ev = await this.deps.events.get(c.eventId);
      if (!ev || ev.redactedBy || !matchesRoomEventFilter(filter, eventView(ev))) continue;
      if (await viewer(c.roomId).canSee(ev)) visible.push(ev);
    }
    const page = visible.slice(offset, offset + limit);
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    const serialized = await this.deps.serialize(page, opts);
    const eventContext = isJsonObject(criteria.event_context) ? criteria.event_context : undefined;
    const results: Json[] = [];
    for (const [i, ev] of page.entries()) {
      const result: Json = { rank: 1, result: serialized[i] };
      if (eventContext) result.context = await this.#context(ev, eventContext, viewer(ev.roomId), opts);
      results.push(result);
    }
    const out: Json = {
      count: candidates.length,
      highlights: words,
      results,
      ...(visible.length > offset + limit ? { next_batch: `o${offset + limit}` } : {}),
    };
    if (criteria.include_state === true) {
      const state: Json = {};
      for (const roomId of new Set(page.map((e) => e.roomId))) {
        const ids = [...(await this.deps.rooms.currentState(roomId)).values()];
        const events = (await this.deps.events.getMany(ids)).filter((e): e is StoredEvent => !!e);
        state[roomId] = await this.deps.serialize(events, opts);
      }
      out.state = state;
    }
    return { search_categories: { room_events: out } };
  }

  /** `event_context`: visible events before and after a result, and the senders' profiles. */
  async #context(
    ev: StoredEvent,
    ctx: Record<string, unknown>,
    viewer: RoomViewer,
    opts: { userId: string; deviceId?: string },
  ): Promise<Json> {
    const before = contextLimit(ctx, "before_limit");
    const after = contextLimit(ctx, "after_limit");
    const visible = async (evs: StoredEvent[]) => {
      const out: StoredEvent[] = [];
      for (const e of evs) if (await viewer.canSee(e)) out.push(e);
      return out;
    };
    const eventsBefore =
      before > 0
        ? await visible(
            await this.deps.events.timeline(ev.roomId, { upTo: ev.stream - 1, limit: before, reverse: true }),
          )
        : [];
    const eventsAfter =
      after > 0
        ? await visible(await this.deps.events.timeline(ev.roomId, { after: ev.stream, limit: after }))
        : [];
    const out: Json = {
      events_before: await this.deps.serialize(eventsBefore, opts),
      events_after: await this.deps.serialize(eventsAfter, opts),
    };
    if (ctx.include_profile === true) {
      const profiles: Json = {};
      for (const sender of new Set([ev, ...eventsBefore, ...eventsAfter].map((e) => e.pdu.sender))) {
        const id = (await this.deps.rooms.currentState(ev.roomId)).get(stateMapKey("m.room.member", sender));
        const member = id ? await this.deps.events.get(id) : undefined;
        const c = (member?.pdu.content ?? {}) as { displayname?: unknown; avatar_url?: unknown };
        profiles[sender] = {
          ...(typeof c.displayname === "string" ? { displayname: c.displayname } : {}),
          ...(typeof c.avatar_url === "string" ? { avatar_url: c.avatar_url } : {}),
        };
      }
      out.profile_info = profiles;
    }
    return out;
  }
}

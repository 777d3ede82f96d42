/**
 * The deprecated event stream and initial sync (Client-Server API: `GET /events`, `GET /initialSync`,
 * `GET /rooms/{roomId}/initialSync`, `GET /events/{eventId}`; deprecated since r0, still called by old
 * clients and bots, and by test suites' helpers). Built on `/sync` and the room reads, so they see
 * exactly what those see; `/events` tokens are `/sync` tokens, except when peeking into a room the
 * user has not joined (`room_id`), where they are the room's pagination tokens. `specs/legacy.md`.
 */
import { MatrixError } from "@hearth/federation";
import type { EventStore } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";
import type { HistoryVisibility } from "../visibility/history-visibility.js";
import type { FilterService } from "./filter-service.js";
import type { Reader, RoomReadService } from "./room-reads.js";
import {
  type EphemeralSource,
  MAX_SYNC_TIMEOUT_MS,
  type SyncResponse,
  type SyncService,
} from "./sync-service.js";
import {
  formatSyncToken,
  type PaginationToken,
  parsePaginationToken,
  parseSyncToken,
  type SyncToken,
} from "./tokens.js";

type Json = Record<string, unknown>;

/** What the legacy endpoints need. */
export interface LegacySyncDeps {
  readonly sync: Pick<SyncService, "sync">;
  readonly filters: Pick<FilterService, "resolve">;
  readonly reads: Pick<RoomReadService, "messages" | "state" | "event">;
  readonly events: Pick<EventStore, "get">;
  readonly rooms: Pick<RoomStore, "membership">;
  readonly visibility: Pick<HistoryVisibility, "isWorldReadable">;
  readonly notifier: Pick<Notifier, "wait">;
  /** Whether the room is in the public room directory (`visibility` of the initial syncs). */
  readonly published?: (roomId: string) => Promise<boolean>;
  /** Receipts and typing, for rooms previewed without joining. */
  readonly ephemeral?: Pick<EphemeralSource, "receiptChanges" | "typingEvent">;
  /** `m.presence` of a room's joined members changed in (after, upTo], for rooms previewed. */
  readonly roomPresence?: (roomId: string, after: number, upTo: number) => Promise<Json[]>;
}

/** Most timeline events one `/events` call returns for a previewed room. */
const PEEK_LIMIT = 100;

/** The requester of a legacy call. */
export interface LegacyReader extends Reader {
  readonly deviceId: string;
}

/** Messages a room's initial sync returns. */
const ROOM_INITIAL_SYNC_LIMIT = 20;

/** The legacy sync endpoints. */
export class LegacySyncService {
  constructor(private readonly deps: LegacySyncDeps) {}

  /** `GET /initialSync`: every room of the user with its state and latest `limit` messages. */
  async initialSync(user: LegacyReader, options: { limit: number; archived: boolean }): Promise<Json> {
    const res = await this.#sync(user, {
      room: { timeline: { limit: options.limit }, include_leave: options.archived },
    });
    const rooms: Json[] = [];
    for (const [roomId, room] of Object.entries(res.rooms.join))
      rooms.push(await this.#roomInfo(roomId, "join", room, res.next_batch));
    for (const [roomId, room] of Object.entries(res.rooms.invite)) {
      const invite = await this.#membershipEvent(user.userId, roomId);
      rooms.push({
        room_id: roomId,
        membership: "invite",
        ...(invite ? { invite } : {}),
        invite_state: room.invite_state,
      });
    }
    if (options.archived) {
      for (const [roomId, room] of Object.entries(res.rooms.leave)) {
        rooms.push(await this.#roomInfo(roomId, "leave", room, res.next_batch));
      }
    }
    return {
      end: res.next_batch,
      rooms,
      presence: (res.presence.events as Json[]).map(legacyPresence),
      account_data: res.account_data.events,
    };
  }

  /** `GET /rooms/{roomId}/initialSync`: one room's state and latest messages (joined or readable). */
  async roomInitialSync(user: LegacyReader, roomId: string): Promise<Json> {
    const page = (await this.deps.reads.messages(user, roomId, {
      dir: "b",
      limit: ROOM_INITIAL_SYNC_LIMIT,
    })) as { chunk: Json[]; start: string; end?: string };
    const state = await this.deps.reads.state(user, roomId);
    const membership = (await this.deps.rooms.membership(user.userId, roomId))?.membership;
    return {
      room_id: roomId,
      ...(membership ? { membership } : {}),
      messages: {
        chunk: [...page.chunk].reverse(),
        // Back pagination continues from the oldest message returned.
        ...(page.end !== undefined ? { start: page.end } : {}),
        end: page.start,
      },
      state,
      visibility: (await this.deps.published?.(roomId)) ? "public" : "private",
      account_data: [],
      presence: [],
    };
  }

  /**
   * `GET /events`: what happened since `from` (a `/sync` token; now when absent), waiting up to
   * `timeout` ms for something. With `room_id`, only that room, which the user may peek into without
   * joining when it is `world_readable` (then tokens are the room's pagination tokens).
   */
  async events(
    user: LegacyReader,
    options: { from?: string; timeoutMs: number; roomId?: string; signal?: AbortSignal },
  ): Promise<Json> {
    const timeoutMs = Math.min(Math.max(0, options.timeoutMs), MAX_SYNC_TIMEOUT_MS);
    if (options.roomId !== undefined) {
      const joined = (await this.deps.rooms.membership(user.userId, options.roomId))?.membership === "join";
      if (!joined) return this.#peek(user, options.roomId, options.from, timeoutMs, options.signal);
    }
    const since =
      options.from !== undefined && options.from !== ""
        ? parseSyncToken(options.from, "from")
        : await this.#now(user);
    const filter = options.roomId !== undefined ? { room: { rooms: [options.roomId] } } : {};
    const res = await this.#sync(user, filter, since, timeoutMs, options.signal);
    const chunk: Json[] = [];
    for (const [roomId, room] of Object.entries(res.rooms.join)) {
      for (const e of (room.timeline as { events?: Json[] } | undefined)?.events ?? [])
        chunk.push({ ...e, room_id: roomId });
      for (const e of (room.ephemeral as { events?: Json[] } | undefined)?.events ?? [])
        chunk.push({ ...e, room_id: roomId });
    }
    if (options.roomId === undefined) chunk.push(...(res.presence.events as Json[]).map(legacyPresence));
    return { start: options.from ?? res.next_batch, end: res.next_batch, chunk };
  }

  /** `GET /events/{eventId}`: one event the user may see, wherever it is. */
  async event(user: LegacyReader, eventId: string): Promise<Json> {
    const stored = await this.deps.events.get(eventId);
    if (!stored || stored.outlier) throw new MatrixError("M_NOT_FOUND", "Event not found");
    return this.deps.reads.event(user, stored.roomId, eventId);
  }

  // ---- helpers -----------------------------------------------------------------------------

  async #sync(
    user: LegacyReader,
    filter: Json,
    since?: SyncToken,
    timeoutMs = 0,
    signal?: AbortSignal,
  ): Promise<SyncResponse> {
    return this.deps.sync.sync({
      userId: user.userId,
      deviceId: user.deviceId,
      ...(since ? { since } : {}),
      filter: await this.deps.filters.resolve(user.userId, JSON.stringify(filter)),
      fullState: false,
      timeoutMs,
      useStateAfter: false,
      ...(signal ? { signal } : {}),
    });
  }

  /** The current `/sync` position (an initial sync that carries nothing). */
  async #now(user: LegacyReader): Promise<SyncToken> {
    const res = await this.#sync(user, {
      room: { rooms: [], include_leave: false },
      presence: { types: [] },
      account_data: { types: [] },
    });
    return parseSyncToken(res.next_batch);
  }

  async #roomInfo(roomId: string, membership: string, room: Json, end: string): Promise<Json> {
    const timeline = (room.timeline ?? {}) as { events?: Json[]; prev_batch?: string };
    const events = timeline.events ?? [];
    const state = ((room.state as { events?: Json[] } | undefined)?.events ?? []).concat(
      events.filter((e) => typeof e.state_key === "string"),
    );
    return {
      room_id: roomId,
      membership,
      messages: { chunk: events, ...(timeline.prev_batch ? { start: timeline.prev_batch } : {}), end },
      state,
      visibility: (await this.deps.published?.(roomId)) ? "public" : "private",
      account_data: (room.account_data as { events?: Json[] } | undefined)?.events ?? [],
    };
  }

  /** The user's membership event in a room (an invite), formatted for clients, if we hold it. */
  async #membershipEvent(userId: string, roomId: string): Promise<Json | undefined> {
    const record = await this.deps.rooms.membership(userId, roomId);
    if (!record) return undefined;
    const stored = await this.deps.events.get(record.eventId);
    if (!stored) return undefined;
    const { event_id, ...pdu } = stored.pdu as Json & { event_id?: string };
    return {
      event_id: record.eventId,
      room_id: roomId,
      type: pdu.type,
      sender: pdu.sender,
      state_key: pdu.state_key,
      content: pdu.content,
      origin_server_ts: pdu.origin_server_ts,
    };
  }

  /**
   * `/events?room_id=` for a room the user has not joined ("Room Previews"): while the room is
   * `world_readable`, its new events and, as for a joined room, its receipts, typing and its members'
   * presence. `from` is a token of an earlier call (a `/sync` token) or a pagination token of the room
   * (`/rooms/{roomId}/initialSync`'s `messages.end`; then receipts, typing and presence start from
   * now); `end` is always a `/sync` token.
   */
  async #peek(
    user: LegacyReader,
    roomId: string,
    from: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Json> {
    if (!(await this.deps.visibility.isWorldReadable(roomId))) {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room and it is not world-readable");
    }
    const now = await this.#now(user);
    if (from === undefined || from === "") {
      const token = formatSyncToken(now);
      return { start: token, end: token, chunk: [] };
    }
    const start = parsePaginationToken(from, "from");
    // Ephemeral streams continue from a /sync token; a room token carries no such positions.
    const since = start.kind === "sync" ? start : now;
    let page = await this.#peekPage(user, roomId, from, start, since, now);
    if (page.chunk.length === 0 && timeoutMs > 0) {
      await this.deps.notifier.wait({ userId: user.userId, rooms: new Set([roomId]) }, timeoutMs, signal);
      page = await this.#peekPage(user, roomId, from, start, since, await this.#now(user));
    }
    return { start: from, end: formatSyncToken(page.end), chunk: page.chunk };
  }

  /** One read of a previewed room: what happened after `from`/`since`, up to `upTo`. */
  async #peekPage(
    user: LegacyReader,
    roomId: string,
    from: string,
    start: PaginationToken,
    since: SyncToken,
    upTo: SyncToken,
  ): Promise<{ chunk: Json[]; end: SyncToken }> {
    const page = (await this.deps.reads.messages(user, roomId, { dir: "f", from, limit: PEEK_LIMIT })) as {
      chunk: Json[];
      end?: string;
    };
    const chunk: Json[] = page.chunk.map((e) => ({ ...e, room_id: roomId }));
    // The events position to continue from: the last event returned when the page is full (more
    // follow), else at least now.
    let events = start.kind === "sync" ? Math.max(start.events, upTo.events) : upTo.events;
    const last = page.end !== undefined ? parsePaginationToken(page.end, "end") : undefined;
    if (last?.kind === "topo") {
      events = chunk.length >= PEEK_LIMIT ? last.stream : Math.max(events, last.stream);
    }
    const { ephemeral, roomPresence } = this.deps;
    if (ephemeral) {
      const receipts = await ephemeral.receiptChanges(
        since.receipts,
        upTo.receipts,
        new Set([roomId]),
        user.userId,
      );
      const receipt = receipts.get(roomId);
      if (receipt) chunk.push({ ...receipt, room_id: roomId });
      const typing = ephemeral.typingEvent(roomId, since.typing, upTo.typing);
      if (typing) chunk.push({ ...typing, room_id: roomId });
    }
    if (roomPresence)
      chunk.push(...(await roomPresence(roomId, since.presence, upTo.presence)).map(legacyPresence));
    return { chunk, end: { ...upTo, events } };
  }
}

/**
 * An `m.presence` event as the legacy endpoints give it: the user also in `content.user_id`, where
 * r0 clients (and the conformance suites) read it; `sender` as `/sync` gives it.
 */
function legacyPresence(ev: Json): Json {
  const content = (ev.content ?? {}) as Json;
  return typeof ev.sender === "string" ? { ...ev, content: { ...content, user_id: ev.sender } } : ev;
}

/**
 * `GET /sync` (Client-Server API, "Syncing"): initial and incremental syncs, long-polling through the
 * notifier, filters, lazy-loaded members, limited timelines with `prev_batch`, room summaries,
 * invites with stripped state, left rooms, and account data.
 *
 * A sync reads every stream up to a snapshot position (`upTo`), taken before anything is read, so the
 * returned `next_batch` never counts something the response did not include. Timelines are read by
 * stream ordering ("Events are ordered in this API according to the arrival time of the event on the
 * homeserver"). Rooms are classified by the user's membership as of `upTo`.
 */
import { parseStateMapKey, stateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { MembershipRecord, RoomStore } from "../../storage/rooms.js";
import type { AccountDataEvent, AccountDataService } from "../account-data/account-data-service.js";
import type { Notifier } from "../notifier.js";
import type { ThreadedUnreadCounts, UnreadCounts } from "../push/unread.js";
import type { HistoryVisibility, RoomViewer } from "../visibility/history-visibility.js";
import {
  type EventFilter,
  eventView,
  type Filter,
  matchesEventFilter,
  matchesRoomEventFilter,
  type RoomEventFilter,
  roomAllowed,
} from "./filter.js";
import { memberKey, type RoomStateReader, stateDelta } from "./room-state.js";
import { formatSyncToken, formatTopoToken, type SyncToken, tokenAfter, tokenBefore } from "./tokens.js";

/** Default number of timeline events per room ("Syncing"; the filter's `limit` overrides it). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Longest a sync waits (`timeout` is capped to this). */
export const MAX_SYNC_TIMEOUT_MS = 5 * 60_000;
/** Most timeline events looked at per room and sync before the timeline is declared limited. */
const MAX_TIMELINE_SCAN = 1000;
/** Rooms built concurrently. */
const ROOM_CONCURRENCY = 16;
/** Heroes per room summary. */
const HEROES = 5;
const NAME_KEY = stateMapKey("m.room.name", "");
const ALIAS_KEY = stateMapKey("m.room.canonical_alias", "");

/** State event types whose change may change the room summary. */
function affectsSummary(type: string): boolean {
  return type === "m.room.member" || type === "m.room.name" || type === "m.room.canonical_alias";
}

/** A sync request, parsed. */
export interface SyncRequest {
  readonly userId: string;
  readonly deviceId: string;
  readonly since?: SyncToken;
  readonly filter: Filter;
  readonly fullState: boolean;
  readonly timeoutMs: number;
  /** `use_state_after` (v1.16): state up to the end of the timeline in `state_after`. */
  readonly useStateAfter: boolean;
  /** Aborts a long-poll (the client went away). */
  readonly signal?: AbortSignal;
  /**
   * The to-device position up to which the device's messages are acknowledged and deleted; default
   * `since`'s. The WebSocket stream passes the position of the last token the client itself presented,
   * since a frame the server sent may never have arrived.
   */
  readonly toDeviceAcknowledged?: number;
}

/** What a sync reads, without the long-poll's wait (timeout and abort). */
export type SyncQuery = Omit<SyncRequest, "timeoutMs" | "signal">;

type Json = Record<string, unknown>;

/** The sync response body. */
export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, Json>;
    invite: Record<string, Json>;
    leave: Record<string, Json>;
    knock: Record<string, Json>;
  };
  account_data: { events: AccountDataEvent[] };
  presence: { events: Json[] };
  to_device: { events: Json[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

/** What the sync service reads. */
export interface SyncDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly notifier: Notifier;
  readonly visibility: HistoryVisibility;
  readonly accountData: AccountDataService;
  readonly reader: RoomStateReader;
  /**
   * The events stream position up to which every event is persisted: syncs read up to here. Must not
   * count an event that is still being written (else a token could skip it).
   */
  readonly eventsPosition: () => number;
  readonly now: () => number;
  /** Receipts and typing, delivered in each joined room's `ephemeral` section. */
  readonly ephemeral?: EphemeralSource;
  /**
   * The user's push rules, sent as the `m.push_rules` account data of initial syncs (later changes
   * arrive as account data changes).
   */
  readonly pushRules?: (userId: string) => Promise<Record<string, unknown>>;
  /** A joined room's unread notification counts for a user (joined at `joinedAt`), up to `upTo`. */
  readonly unread?: (userId: string, roomId: string, joinedAt: number, upTo: number) => Promise<UnreadCounts>;
  /** The same split by thread (for filters with `unread_thread_notifications`). */
  readonly unreadThreads?: (
    userId: string,
    roomId: string,
    joinedAt: number,
    upTo: number,
  ) => Promise<ThreadedUnreadCounts>;
  /** Presence of users sharing rooms with the syncing user. */
  readonly presence?: PresenceSource;
  /** The syncing device's to-device messages. */
  readonly toDevice?: ToDeviceSource;
  /** Users whose device lists changed, and users the viewer no longer shares a room with. */
  readonly deviceLists?: {
    position(): number;
    changes(
      viewer: string,
      after: number | undefined,
      upTo: number,
    ): Promise<{ changed: string[]; left: string[] }>;
  };
  /** The syncing device's unclaimed one-time keys per algorithm, and its unused fallback key types. */
  readonly e2eKeys?: (
    userId: string,
    deviceId: string,
  ) => Promise<{ oneTimeKeyCounts: Record<string, number>; unusedFallbackKeyTypes: string[] }>;
}

/** Where sync gets to-device messages from. */
export interface ToDeviceSource {
  position(): number;
  /**
   * The device's messages in (since, upTo]; those up to `acknowledged` (default `since`) are deleted.
   */
  forSync(
    userId: string,
    deviceId: string,
    since: number | undefined,
    upTo: number,
    acknowledged?: number,
  ): Promise<Json[]>;
}

/** Where sync gets presence from. */
export interface PresenceSource {
  position(): number;
  /** `m.presence` events for `viewer` changed in (after, upTo], or all when `after` is undefined. */
  events(viewer: string, after: number | undefined, upTo: number): Promise<Json[]>;
}

/** An ephemeral event (`m.receipt`, `m.typing`). */
export type EphemeralEvent = { type: string; content: Record<string, unknown> };

/** Where sync gets receipts and typing from. */
export interface EphemeralSource {
  receiptsPosition(): number;
  typingPosition(): number;
  /** `m.receipt` events per room for receipts in (after, upTo], as `viewer` may see them. */
  receiptChanges(
    after: number,
    upTo: number,
    rooms: ReadonlySet<string>,
    viewer: string,
  ): Promise<Map<string, EphemeralEvent>>;
  /** A room's current receipts as one `m.receipt` event (initial sync and newly joined rooms). */
  roomReceipts(roomId: string, viewer: string): Promise<EphemeralEvent | undefined>;
  /** A room's `m.typing` event if it changed in (after, upTo], or the current one when `after` is undefined. */
  typingEvent(roomId: string, after: number | undefined, upTo: number): EphemeralEvent | undefined;
}

/** One sync's fixed inputs. */
interface Pass {
  readonly req: SyncQuery;
  readonly since: SyncToken | undefined;
  readonly upTo: SyncToken;
  readonly accountData: { global: AccountDataEvent[]; rooms: Map<string, AccountDataEvent[]> };
  /** Receipt changes since `since` per room (incremental syncs). */
  readonly receipts: Map<string, EphemeralEvent>;
}

/**
 * Whether a sync response carries nothing new for the user: an incremental sync waits for more, and
 * the WebSocket stream sends no frame. Key counts alone do not count.
 */
export function isEmptySyncResponse(response: SyncResponse): boolean {
  return (
    response.account_data.events.length === 0 &&
    response.presence.events.length === 0 &&
    response.to_device.events.length === 0 &&
    response.device_lists.changed.length === 0 &&
    response.device_lists.left.length === 0 &&
    Object.keys(response.rooms.join).length === 0 &&
    Object.keys(response.rooms.invite).length === 0 &&
    Object.keys(response.rooms.leave).length === 0 &&
    Object.keys(response.rooms.knock).length === 0
  );
}

/** Builds sync responses. */
export class SyncService {
  constructor(private readonly deps: SyncDeps) {}

  /**
   * Runs a sync. An incremental sync with nothing new waits up to `timeoutMs` for something that
   * concerns the user, then answers (possibly empty) with a `next_batch` at least as new as `since`.
   */
  async sync(req: SyncRequest): Promise<SyncResponse> {
    const { notifier, now } = this.deps;
    const deadline = now() + Math.min(Math.max(0, req.timeoutMs), MAX_SYNC_TIMEOUT_MS);
    let since = req.since;
    for (;;) {
      const upTo = this.#upTo(since);
      const { response, empty, joined } = await this.#build(req, since, upTo);
      if (!req.since || req.fullState || !empty) return this.#withKeyCounts(req, response);
      // Nothing for this user in (since, upTo]: continue from upTo.
      since = upTo;
      const remaining = deadline - now();
      if (remaining <= 0 || req.signal?.aborted) return this.#withKeyCounts(req, response);
      // Checked and registered in the same tick, so no update can slip in between.
      if (this.advancedSince(upTo)) continue;
      await notifier.wait({ userId: req.userId, rooms: joined }, remaining, req.signal);
      if (req.signal?.aborted) return this.#withKeyCounts(req, response);
    }
  }

  /**
   * One sync that never waits, and the rooms the user is joined to as of its `next_batch`: for the
   * WebSocket stream, which waits through its own notifier subscription rather than a long-poll per
   * stream. The response is what {@link sync} answers for the same request with `timeoutMs` 0.
   */
  async syncNow(req: SyncQuery): Promise<{ response: SyncResponse; joined: ReadonlySet<string> }> {
    const { response, joined } = await this.#build(req, req.since, this.#upTo(req.since));
    return { response: await this.#withKeyCounts(req, response), joined };
  }

  /** Whether any stream has moved past `token`: something may have happened after it. */
  advancedSince(token: SyncToken): boolean {
    return (
      this.deps.eventsPosition() > token.events ||
      this.deps.accountData.position > token.accountData ||
      (this.deps.ephemeral?.receiptsPosition() ?? 0) > token.receipts ||
      (this.deps.ephemeral?.typingPosition() ?? 0) > token.typing ||
      (this.deps.presence?.position() ?? 0) > token.presence ||
      (this.deps.toDevice?.position() ?? 0) > token.toDevice ||
      (this.deps.deviceLists?.position() ?? 0) > token.deviceLists
    );
  }

  /** The positions a sync from `since` reads up to: every stream's current one. */
  #upTo(since: SyncToken | undefined): SyncToken {
    const { accountData } = this.deps;
    return {
      // A token from the future (e.g. after a restore) must not move backwards.
      events: Math.max(this.deps.eventsPosition(), since?.events ?? 0),
      accountData: Math.max(accountData.position, since?.accountData ?? 0),
      receipts: Math.max(this.deps.ephemeral?.receiptsPosition() ?? 0, since?.receipts ?? 0),
      typing: Math.max(this.deps.ephemeral?.typingPosition() ?? 0, since?.typing ?? 0),
      presence: Math.max(this.deps.presence?.position() ?? 0, since?.presence ?? 0),
      toDevice: Math.max(this.deps.toDevice?.position() ?? 0, since?.toDevice ?? 0),
      deviceLists: Math.max(this.deps.deviceLists?.position() ?? 0, since?.deviceLists ?? 0),
    };
  }

  /**
   * Adds the device's one-time key counts and unused fallback key types, read last, just before the
   * response leaves (after any wait): they then reflect every key upload acknowledged before it
   * (the key service makes the read wait for an upload in progress). Read earlier, a sync that took a
   * few milliseconds, or waited, reported counts from before an upload, and clients uploaded again.
   */
  async #withKeyCounts(req: SyncQuery, response: SyncResponse): Promise<SyncResponse> {
    if (!this.deps.e2eKeys) return response;
    const keys = await this.deps.e2eKeys(req.userId, req.deviceId);
    response.device_one_time_keys_count = keys.oneTimeKeyCounts;
    response.device_unused_fallback_key_types = keys.unusedFallbackKeyTypes;
    return response;
  }

  async #build(
    req: SyncQuery,
    since: SyncToken | undefined,
    upTo: SyncToken,
  ): Promise<{ response: SyncResponse; empty: boolean; joined: Set<string> }> {
    const { rooms, accountData } = this.deps;
    const incremental = since !== undefined && !req.fullState;
    const pass: Pass = {
      req,
      since,
      upTo,
      accountData: since
        ? await accountData.changedSince(req.userId, since.accountData, upTo.accountData)
        : {
            global: await accountData.globalEvents(req.userId),
            rooms: await accountData.roomEvents(req.userId),
          },
      receipts: new Map(),
    };
    // full_state with a since token still sends only changed account data.
    const memberships = await rooms.roomsOfUser(req.userId);
    if (since && this.deps.ephemeral) {
      const joinedRooms = new Set(
        [...memberships].filter(([, m]) => m.membership === "join").map(([id]) => id),
      );
      const changes = await this.deps.ephemeral.receiptChanges(
        since.receipts,
        upTo.receipts,
        joinedRooms,
        req.userId,
      );
      for (const [roomId, ev] of changes) pass.receipts.set(roomId, ev);
    }
    if (!since && this.deps.pushRules && !pass.accountData.global.some((e) => e.type === "m.push_rules")) {
      pass.accountData.global.push({ type: "m.push_rules", content: await this.deps.pushRules(req.userId) });
    }
    const response: SyncResponse = {
      next_batch: formatSyncToken(upTo),
      rooms: { join: {}, invite: {}, leave: {}, knock: {} },
      account_data: { events: filterAccountData(pass.accountData.global, req.filter.account_data) },
      presence: {
        events: this.deps.presence
          ? (await this.deps.presence.events(req.userId, since?.presence, upTo.presence)).filter((e) =>
              matchesEventFilter(req.filter.presence, { type: "m.presence", sender: e.sender as string }),
            )
          : [],
      },
      to_device: {
        events: this.deps.toDevice
          ? await this.deps.toDevice.forSync(
              req.userId,
              req.deviceId,
              since?.toDevice,
              upTo.toDevice,
              req.toDeviceAcknowledged ?? req.since?.toDevice,
            )
          : [],
      },
      device_lists: this.deps.deviceLists
        ? await this.deps.deviceLists.changes(req.userId, since?.deviceLists, upTo.deviceLists)
        : { changed: [], left: [] },
      device_one_time_keys_count: {},
    };
    const joined = new Set<string>();
    const roomFilter = req.filter.room;
    await mapLimit([...memberships], ROOM_CONCURRENCY, async ([roomId, record]) => {
      if (!roomAllowed(roomFilter, roomId)) return;
      const viewer = this.deps.visibility.viewer(req.userId, roomId);
      const m = await membershipAsOf(viewer, record, upTo.events);
      if (!m) return;
      const changed = since === undefined || m.stream > since.events;
      switch (m.membership) {
        case "join": {
          joined.add(roomId);
          const entry = await this.#joinedRoom(pass, roomId, viewer, m);
          if (entry) response.rooms.join[roomId] = entry;
          break;
        }
        case "invite":
        case "knock": {
          if (incremental && !changed) return;
          const ev = await this.deps.events.get(m.eventId);
          if (!ev) return;
          const events = await this.deps.reader.strippedState(ev.stateGroup, [ev]);
          if (m.membership === "invite") response.rooms.invite[roomId] = { invite_state: { events } };
          else response.rooms.knock[roomId] = { knock_state: { events } };
          break;
        }
        case "leave":
        case "ban": {
          // Rooms left since the last sync always; others only when asked (`include_leave`).
          if (incremental ? !changed : !roomFilter?.include_leave) return;
          const entry = await this.#leftRoom(pass, roomId, viewer, m);
          if (entry) response.rooms.leave[roomId] = entry;
          break;
        }
      }
    });
    return { response, empty: isEmptySyncResponse(response), joined };
  }

  /** A joined room's entry, or undefined when nothing changed in an incremental sync. */
  async #joinedRoom(
    pass: Pass,
    roomId: string,
    viewer: RoomViewer,
    m: MembershipAt,
  ): Promise<Json | undefined> {
    const { req, since, upTo } = pass;
    const filter = req.filter;
    const roomFilter = filter.room;
    // Newly joined: not joined as of `since` (a join in the window that was not a profile change).
    const newlyJoined =
      since !== undefined &&
      m.stream > since.events &&
      (await viewer.membershipAt(since.events))?.membership !== "join";
    const fromScratch = since === undefined || newlyJoined || req.fullState;
    const timelineAfter = since === undefined || newlyJoined ? undefined : since.events;
    const tl = await this.#timeline(viewer, roomId, timelineAfter, upTo.events, roomFilter?.timeline);
    const accountData = filterRoomAccountData(
      pass.accountData.rooms.get(roomId),
      roomFilter?.account_data,
      roomId,
    );
    const ephemeral = await this.#ephemeral(pass, roomId, fromScratch);
    if (!fromScratch && !tl.sawAny && accountData.length === 0 && ephemeral.length === 0) return undefined;

    const state = await this.#stateSection(pass, roomId, tl, fromScratch, since?.events, upTo.events, true);
    if (
      !fromScratch &&
      tl.events.length === 0 &&
      state.events.length === 0 &&
      accountData.length === 0 &&
      ephemeral.length === 0
    ) {
      return undefined;
    }
    const entry: Json = {
      timeline: await this.#timelineSection(pass, roomId, tl, upTo.events),
      ...state.sections,
      ephemeral: { events: ephemeral },
      account_data: { events: accountData },
      unread_notifications: { highlight_count: 0, notification_count: 0 },
    };
    // Split by thread when the filter asks (`unread_thread_notifications`), else one count.
    if (filter.room?.timeline?.unread_thread_notifications && this.deps.unreadThreads) {
      const counts = await this.deps.unreadThreads(req.userId, roomId, m.stream, upTo.events);
      entry.unread_notifications = counts.main;
      entry.unread_thread_notifications = counts.threads;
    } else if (this.deps.unread) {
      entry.unread_notifications = await this.deps.unread(req.userId, roomId, m.stream, upTo.events);
    }
    if (state.summary) entry.summary = state.summary;
    return entry;
  }

  /** A joined room's ephemeral events: receipts and typing, filtered by the room's ephemeral filter. */
  async #ephemeral(pass: Pass, roomId: string, fromScratch: boolean): Promise<EphemeralEvent[]> {
    const source = this.deps.ephemeral;
    const filter = pass.req.filter.room?.ephemeral;
    if (!source || filter?.limit === 0) return [];
    const out: EphemeralEvent[] = [];
    const receipt = fromScratch
      ? await source.roomReceipts(roomId, pass.req.userId)
      : pass.receipts.get(roomId);
    if (receipt) out.push(receipt);
    const typing = source.typingEvent(roomId, fromScratch ? undefined : pass.since?.typing, pass.upTo.typing);
    if (typing) out.push(typing);
    return out.filter((e) => matchesRoomEventFilter(filter, { type: e.type, roomId }));
  }

  /** A left (or banned) room's entry: the timeline up to the leave, and the state. */
  async #leftRoom(
    pass: Pass,
    roomId: string,
    viewer: RoomViewer,
    m: MembershipAt,
  ): Promise<Json | undefined> {
    const { req, since } = pass;
    const roomFilter = req.filter.room;
    const incrementalFrom = since !== undefined && since.events < m.stream ? since.events : undefined;
    // Joined as of `since`: send the state delta; otherwise the state from scratch.
    const joinedAtSince =
      incrementalFrom !== undefined && (await viewer.membershipAt(incrementalFrom))?.membership === "join";
    let tl = await this.#timeline(viewer, roomId, incrementalFrom, m.stream, roomFilter?.timeline);
    const everJoined = await viewer.everJoined();
    if (!everJoined && tl.events.length === 0) {
      // A membership in a room we hold no timeline for (a rejected or withdrawn remote invite, a
      // rejected knock) is an out-of-band event: show it, so the client sees why the room went.
      const own = await this.deps.events.get(m.eventId);
      if (own?.outlier && matchesRoomEventFilter(roomFilter?.timeline, eventView(own))) {
        tl = { ...tl, events: [own], sawAny: true };
      }
    }
    const state = everJoined
      ? await this.#stateSection(pass, roomId, tl, !joinedAtSince, incrementalFrom, m.stream, false)
      : {
          sections: pass.req.useStateAfter ? { state_after: { events: [] } } : { state: { events: [] } },
          events: [],
        };
    return {
      timeline: await this.#timelineSection(pass, roomId, tl, m.stream),
      ...state.sections,
      account_data: {
        events: filterRoomAccountData(pass.accountData.rooms.get(roomId), roomFilter?.account_data, roomId),
      },
    };
  }

  /**
   * The last `limit` events of a room's timeline in (after, upTo] that pass the filter and the
   * user's history visibility, ascending; `limited` when more such events exist in the range.
   */
  async #timeline(
    viewer: RoomViewer,
    roomId: string,
    after: number | undefined,
    upTo: number,
    filter: RoomEventFilter | undefined,
  ): Promise<{ events: StoredEvent[]; limited: boolean; sawAny: boolean }> {
    const limit = filter?.limit ?? DEFAULT_TIMELINE_LIMIT;
    const out: StoredEvent[] = [];
    let limited = false;
    let sawAny = false;
    let cursor = upTo;
    let batch = limit + 1;
    let scanned = 0;
    outer: while (after === undefined || cursor > after) {
      const evs = await this.deps.events.timeline(roomId, {
        ...(after !== undefined ? { after } : {}),
        upTo: cursor,
        limit: batch,
        reverse: true,
      });
      if (evs.length === 0) break;
      sawAny = true;
      for (const ev of evs) {
        scanned++;
        if (!matchesRoomEventFilter(filter, eventView(ev)) || !(await viewer.canSee(ev))) continue;
        if (out.length >= limit) {
          limited = true;
          break outer;
        }
        out.push(ev);
      }
      if (evs.length < batch) break;
      if (scanned >= MAX_TIMELINE_SCAN) {
        limited = true;
        break;
      }
      cursor = evs[evs.length - 1]!.stream - 1;
      batch = Math.min(batch * 2, 500);
    }
    return { events: out.reverse(), limited, sawAny };
  }

  async #timelineSection(
    pass: Pass,
    roomId: string,
    tl: { events: StoredEvent[]; limited: boolean },
    upTo: number,
  ): Promise<Json> {
    const { req } = pass;
    let prev: string;
    if (tl.events.length > 0) prev = formatTopoToken(tokenBefore(tl.events[0]!));
    else {
      const latest = await this.deps.events.latestInRoom(roomId, upTo);
      prev = formatTopoToken(latest ? tokenAfter(latest) : { depth: 0, stream: 0 });
    }
    return {
      events: await this.deps.reader.serialize(
        tl.events,
        { userId: req.userId, deviceId: req.deviceId, omitRoomId: true },
        req.filter,
      ),
      limited: tl.limited,
      prev_batch: prev,
    };
  }

  /**
   * The `state` (or `state_after`) section, and the room summary when it is due. From scratch: the
   * whole state at the start (end) of the timeline. Incremental: the delta between the state at
   * `since` and that point. With lazy-loading, member events only for the timeline's senders, the
   * heroes, the user themself (from scratch), and every member change in the gap.
   */
  async #stateSection(
    pass: Pass,
    roomId: string,
    tl: { events: StoredEvent[] },
    fromScratch: boolean,
    since: number | undefined,
    upTo: number,
    withSummary: boolean,
  ): Promise<{ sections: Json; events: StoredEvent[]; summary?: Json }> {
    const { req } = pass;
    const { reader } = this.deps;
    const stateFilter = req.filter.room?.state;
    const endGroup = await reader.groupAtStream(roomId, upTo);
    const pointGroup = req.useStateAfter
      ? endGroup
      : tl.events.length > 0
        ? tl.events[0]!.stateGroupBefore
        : endGroup;
    let selected: Map<string, string>;
    let gapSummary = false;
    if (fromScratch) {
      selected = new Map(await reader.stateOf(pointGroup));
    } else {
      const sinceGroup = await reader.groupAtStream(roomId, since!);
      selected =
        sinceGroup === pointGroup
          ? new Map()
          : stateDelta(await reader.stateOf(pointGroup), await reader.stateOf(sinceGroup));
      for (const k of selected.keys()) if (affectsSummary(parseStateMapKey(k)[0])) gapSummary = true;
    }
    const timelineSummary = tl.events.some(
      (e) => typeof e.pdu.state_key === "string" && affectsSummary(e.pdu.type),
    );
    const summary =
      withSummary && (fromScratch || gapSummary || timelineSummary)
        ? await this.#summary(roomId, req.userId, await reader.stateOf(endGroup))
        : undefined;

    let lazyMembers: Set<string> | undefined;
    if (stateFilter?.lazy_load_members) {
      lazyMembers = new Set(tl.events.map((e) => e.pdu.sender));
      if (fromScratch) lazyMembers.add(req.userId);
      for (const h of (summary?.["m.heroes"] as string[] | undefined) ?? []) lazyMembers.add(h);
      if (!fromScratch) {
        // Members of the gap are always sent ("When a sync is limited ..."), and the timeline's
        // senders from the state at the point, even if the client may have them already.
        const point = await reader.stateOf(pointGroup);
        for (const uid of lazyMembers) {
          const id = point.get(memberKey(uid));
          if (id) selected.set(memberKey(uid), id);
        }
        for (const k of selected.keys()) {
          if (k.startsWith('["m.room.member",')) lazyMembers.add(JSON.parse(k)[1] as string);
        }
      }
    }
    const events = await reader.selectState(selected, stateFilter, roomId, lazyMembers);
    const serialized = await reader.serialize(
      events,
      { userId: req.userId, deviceId: req.deviceId, omitRoomId: true },
      req.filter,
    );
    const sections = req.useStateAfter
      ? { state_after: { events: serialized } }
      : { state: { events: serialized } };
    return { sections, events, ...(summary ? { summary } : {}) };
  }

  /**
   * The room summary from the room's memberships: member counts, and `m.heroes` when the room has
   * no name or canonical alias (they are "Required if the room's m.room.name or
   * m.room.canonical_alias state events are unset or empty").
   */
  async #summary(roomId: string, userId: string, state: ReadonlyMap<string, string>): Promise<Json> {
    const members = await this.deps.rooms.membersOfRoom(roomId);
    let joined = 0;
    let invited = 0;
    const active: Array<[string, MembershipRecord]> = [];
    const departed: Array<[string, MembershipRecord]> = [];
    for (const [uid, r] of members) {
      if (r.membership === "join") joined++;
      else if (r.membership === "invite") invited++;
      if (uid === userId) continue;
      if (r.membership === "join" || r.membership === "invite") active.push([uid, r]);
      else if (r.membership === "leave" || r.membership === "ban") departed.push([uid, r]);
    }
    const out: Json = { "m.joined_member_count": joined, "m.invited_member_count": invited };
    const [name, alias] = await this.deps.reader.load(
      [state.get(NAME_KEY), state.get(ALIAS_KEY)].filter((id) => id !== undefined),
    );
    const named = [name, alias].some((ev) => {
      const c = ev?.pdu.content as { name?: unknown; alias?: unknown } | undefined;
      return (
        (typeof c?.name === "string" && c.name !== "") || (typeof c?.alias === "string" && c.alias !== "")
      );
    });
    if (!named) {
      const pool = active.length > 0 ? active : departed;
      pool.sort((a, b) => a[1].stream - b[1].stream);
      out["m.heroes"] = pool.slice(0, HEROES).map(([uid]) => uid);
    }
    return out;
  }
}

/** A membership as of a stream position. */
interface MembershipAt {
  readonly membership: string;
  readonly eventId: string;
  readonly stream: number;
}

/**
 * The membership as of `upTo`: the current record, unless it changed after `upTo` (a change that
 * landed while this sync ran), in which case the one before, from the membership history.
 */
async function membershipAsOf(
  viewer: RoomViewer,
  record: MembershipRecord,
  upTo: number,
): Promise<MembershipAt | undefined> {
  if (record.stream <= upTo) return record;
  return viewer.membershipAt(upTo);
}

function filterAccountData(events: AccountDataEvent[], filter: EventFilter | undefined): AccountDataEvent[] {
  const out = events.filter((e) => matchesEventFilter(filter, { type: e.type }));
  return filter?.limit !== undefined ? out.slice(0, filter.limit) : out;
}

function filterRoomAccountData(
  events: AccountDataEvent[] | undefined,
  filter: RoomEventFilter | undefined,
  roomId: string,
): AccountDataEvent[] {
  if (!events) return [];
  const out = events.filter((e) => matchesRoomEventFilter(filter, { type: e.type, roomId }));
  return filter?.limit !== undefined ? out.slice(0, filter.limit) : out;
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function mapLimit<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

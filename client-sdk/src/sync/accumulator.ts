/**
 * The sync accumulator: applies `/sync` responses to the client's models, whichever transport
 * delivered them (the WebSocket stream carries exactly `/sync` bodies). Sans-I/O: a response in, the
 * models updated and a list of {@link SyncChange}s out, for the client to emit. It also turns its
 * state into a JSON snapshot and back, which is what the store persists next to the sync token.
 */
import type { BasicEvent, ClientEvent, JoinedRoomSync, SyncResponse } from "@hearth/federation/client";
import { type Membership, type Receipt, Room, type RoomContext } from "../models/room.js";
import { type TimelineChange, TimelineEvent, type TimelineSegment } from "../models/timeline.js";
import { presenceFromEvent, type UserPresence } from "../models/user.js";

/** One thing a sync (or a page of history) changed; the client emits these as events. */
export type SyncChange =
  /** A new event in a room's timeline, from a sync (`live`) or back pagination. */
  | {
      readonly kind: "timeline";
      readonly roomId: string;
      readonly item: TimelineEvent;
      readonly live: boolean;
    }
  /** The server's copy of one of this client's local echoes arrived. */
  | { readonly kind: "localEcho"; readonly roomId: string; readonly item: TimelineEvent }
  /** An event's derived view changed: redacted, edited, reacted to. */
  | { readonly kind: "eventUpdated"; readonly roomId: string; readonly item: TimelineEvent }
  /** Something about the room changed (any of the above, state, counts, membership…). */
  | { readonly kind: "room"; readonly roomId: string }
  | {
      readonly kind: "membership";
      readonly roomId: string;
      readonly membership: Membership;
      readonly previous: Membership | undefined;
    }
  | { readonly kind: "typing"; readonly roomId: string; readonly userIds: readonly string[] }
  | { readonly kind: "receipt"; readonly roomId: string; readonly userId: string; readonly receipt: Receipt }
  | { readonly kind: "presence"; readonly presence: UserPresence }
  | {
      readonly kind: "accountData";
      readonly type: string;
      readonly content: Record<string, unknown>;
      readonly roomId: string | undefined;
    }
  | { readonly kind: "toDevice"; readonly event: BasicEvent };

/** A persisted local echo: enough to show it and to retry it with the same transaction ID. */
export interface PendingSnapshot {
  readonly txnId: string;
  readonly event: ClientEvent;
}

/** A room in a snapshot. */
export interface RoomSnapshot {
  readonly roomId: string;
  readonly membership: Membership | undefined;
  readonly state: Array<ClientEvent | BasicEvent>;
  readonly strippedState: readonly BasicEvent[];
  readonly summary: Room["summary"];
  readonly unread: Room["unread"];
  readonly accountData: Array<[string, Record<string, unknown>]>;
  readonly receipts: Array<[string, Receipt]>;
  /** Oldest first; `tokens` holds the known `tokenBefore`s by event index. */
  readonly segments: Array<{
    prevBatch: string | undefined;
    events: ClientEvent[];
    tokens?: Array<[number, string]>;
  }>;
  readonly pending: PendingSnapshot[];
}

/** The accumulator's state as JSON-safe data. */
export interface AccumulatorSnapshot {
  readonly version: 1;
  readonly userId: string;
  readonly nextBatch: string | undefined;
  readonly accountData: Array<[string, Record<string, unknown>]>;
  readonly presence: UserPresence[];
  readonly rooms: RoomSnapshot[];
}

/**
 * The segments to persist: all of them while they hold at most `max` events; else the live segment
 * from the earliest event, among the newest `max`, before which a pagination token is known (the
 * older segments are dropped: paginating back from the live one reaches them again).
 */
function persistedSegments(segments: readonly TimelineSegment[], max: number): RoomSnapshot["segments"] {
  const total = segments.reduce((n, s) => n + s.events.length, 0);
  const live = segments.at(-1);
  let kept: Array<{ prevBatch: string | undefined; events: readonly TimelineEvent[] }> = [...segments];
  if (total > max && live) {
    kept = [live];
    for (let i = Math.max(0, live.events.length - max); i < live.events.length; i++) {
      const token = i === 0 ? live.prevBatch : live.events[i]!.tokenBefore;
      if (i === 0 || token !== undefined) {
        kept = [{ prevBatch: token, events: live.events.slice(i) }];
        break;
      }
    }
  }
  return kept.map((s) => {
    const tokens: Array<[number, string]> = [];
    s.events.forEach((e, i) => {
      if (i > 0 && e.tokenBefore !== undefined) tokens.push([i, e.tokenBefore]);
    });
    return {
      prevBatch: s.prevBatch,
      events: s.events.map((e) => e.event),
      ...(tokens.length ? { tokens } : {}),
    };
  });
}

/** Applies sync responses to rooms, account data and presence. */
export class SyncAccumulator {
  /** Every room the user is or was in (or invited to), by ID. */
  readonly rooms = new Map<string, Room>();
  /** Global account data by type. */
  readonly accountData = new Map<string, Record<string, unknown>>();
  /** Presence of the users the server told about. */
  readonly presence = new Map<string, UserPresence>();
  /** The token to sync from next; `undefined` before the first sync. */
  nextBatch: string | undefined = undefined;
  /** Direct chats: room ID → the other user (from `m.direct`). */
  readonly #direct = new Map<string, string>();
  readonly #context: RoomContext;

  constructor(
    readonly userId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#context = { userId, directUserId: (roomId) => this.#direct.get(roomId) };
  }

  /** The room `roomId`, created (with no membership yet) when it is not known. */
  room(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Room(roomId, this.#context);
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /** Applies one `/sync` response (from `/sync` or the stream) and returns what changed. */
  apply(response: SyncResponse): SyncChange[] {
    const changes: SyncChange[] = [];
    for (const ev of response.account_data?.events ?? []) {
      this.accountData.set(ev.type, ev.content);
      if (ev.type === "m.direct") this.#readDirect(ev.content);
      changes.push({ kind: "accountData", type: ev.type, content: ev.content, roomId: undefined });
    }
    const rooms = response.rooms;
    for (const [roomId, section] of Object.entries(rooms?.join ?? {})) {
      this.#applyJoined(roomId, section, changes);
    }
    for (const [roomId, section] of Object.entries(rooms?.invite ?? {})) {
      const room = this.room(roomId);
      room.strippedState = section.invite_state?.events ?? [];
      this.#setMembership(room, "invite", changes);
      changes.push({ kind: "room", roomId });
    }
    for (const [roomId, section] of Object.entries(rooms?.knock ?? {})) {
      const room = this.room(roomId);
      room.strippedState = section.knock_state?.events ?? [];
      this.#setMembership(room, "knock", changes);
      changes.push({ kind: "room", roomId });
    }
    for (const [roomId, section] of Object.entries(rooms?.leave ?? {})) {
      const room = this.room(roomId);
      for (const ev of section.state?.events ?? []) room.setState(ev);
      this.#applyTimeline(room, section.timeline, changes);
      room.strippedState = [];
      const own = room.getState("m.room.member", this.userId)?.content.membership;
      this.#setMembership(room, own === "ban" ? "ban" : "leave", changes);
      room.typingUserIds = [];
      changes.push({ kind: "room", roomId });
    }
    const receivedAt = this.now();
    for (const ev of response.presence?.events ?? []) {
      if (ev.type !== "m.presence" || !ev.sender) continue;
      const p = presenceFromEvent(ev.sender, ev.content, receivedAt);
      this.presence.set(ev.sender, p);
      changes.push({ kind: "presence", presence: p });
    }
    for (const ev of response.to_device?.events ?? []) changes.push({ kind: "toDevice", event: ev });
    this.nextBatch = response.next_batch;
    return changes;
  }

  /**
   * Applies a page of back pagination (`/messages?dir=b`) to `segment` of a room's timeline.
   * History never changes current state.
   */
  applyPage(
    roomId: string,
    segment: TimelineSegment,
    chunk: readonly ClientEvent[],
    end: string | undefined,
  ): SyncChange[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    const changes: SyncChange[] = [];
    this.#report(roomId, room.liveTimeline.addPage(segment, chunk, end), false, changes);
    changes.push({ kind: "room", roomId });
    return changes;
  }

  #applyJoined(roomId: string, section: JoinedRoomSync, changes: SyncChange[]): void {
    const room = this.room(roomId);
    const summary = section.summary;
    if (summary) {
      if (summary["m.heroes"] !== undefined) room.summary.heroes = summary["m.heroes"];
      if (summary["m.joined_member_count"] !== undefined)
        room.summary.joinedMemberCount = summary["m.joined_member_count"];
      if (summary["m.invited_member_count"] !== undefined)
        room.summary.invitedMemberCount = summary["m.invited_member_count"];
    }
    for (const ev of section.state?.events ?? []) room.setState(ev);
    room.strippedState = [];
    this.#applyTimeline(room, section.timeline, changes);
    this.#setMembership(room, "join", changes);
    for (const ev of section.ephemeral?.events ?? []) {
      if (ev.type === "m.typing") {
        const ids = ev.content.user_ids;
        room.typingUserIds = Array.isArray(ids) ? ids.filter((u): u is string => typeof u === "string") : [];
        changes.push({ kind: "typing", roomId, userIds: room.typingUserIds });
      } else if (ev.type === "m.receipt") {
        for (const { userId, receipt } of room.applyReceipts(ev.content))
          changes.push({ kind: "receipt", roomId, userId, receipt });
      }
    }
    for (const ev of section.account_data?.events ?? []) {
      room.setAccountData(ev.type, ev.content);
      changes.push({ kind: "accountData", type: ev.type, content: ev.content, roomId });
    }
    const counts = section.unread_notifications;
    if (counts) {
      room.unread.notificationCount = counts.notification_count ?? 0;
      room.unread.highlightCount = counts.highlight_count ?? 0;
    }
    changes.push({ kind: "room", roomId });
  }

  #applyTimeline(room: Room, timeline: JoinedRoomSync["timeline"], changes: SyncChange[]): void {
    if (!timeline) return;
    const change = room.liveTimeline.addSync(timeline.events, timeline.limited === true, timeline.prev_batch);
    for (const item of change.added) if (item.event.state_key !== undefined) room.setState(item.event);
    this.#report(room.roomId, change, true, changes);
  }

  #report(roomId: string, change: TimelineChange, live: boolean, changes: SyncChange[]): void {
    for (const item of change.added) changes.push({ kind: "timeline", roomId, item, live });
    for (const item of change.echoes) changes.push({ kind: "localEcho", roomId, item });
    for (const item of change.updated) changes.push({ kind: "eventUpdated", roomId, item });
  }

  #setMembership(room: Room, membership: Membership, changes: SyncChange[]): void {
    if (room.membership === membership) return;
    const previous = room.membership;
    room.membership = membership;
    changes.push({ kind: "membership", roomId: room.roomId, membership, previous });
  }

  #readDirect(content: Record<string, unknown>): void {
    this.#direct.clear();
    for (const [userId, roomIds] of Object.entries(content)) {
      if (!Array.isArray(roomIds)) continue;
      for (const r of roomIds) if (typeof r === "string") this.#direct.set(r, userId);
    }
  }

  // ---- Snapshots ----------------------------------------------------------------------------------

  /**
   * The state as JSON-safe data (events are shared, not copied: treat the result as read-only).
   * Each room keeps at most about `maxEventsPerRoom` timeline events: the newest, cut where a
   * pagination token is known, so back pagination after a restore loads the rest from the server.
   */
  snapshot(maxEventsPerRoom = 200): AccumulatorSnapshot {
    return {
      version: 1,
      userId: this.userId,
      nextBatch: this.nextBatch,
      accountData: [...this.accountData],
      presence: [...this.presence.values()],
      rooms: [...this.rooms.values()].map((room) => ({
        roomId: room.roomId,
        membership: room.membership,
        state: room.allState(),
        strippedState: room.strippedState,
        summary: { ...room.summary },
        unread: { ...room.unread },
        accountData: room.allAccountData(),
        receipts: [...room.receipts],
        segments: persistedSegments(room.liveTimeline.segments, maxEventsPerRoom),
        pending: room.liveTimeline.pending
          .filter((p) => p.txnId !== undefined)
          .map((p) => ({ txnId: p.txnId!, event: p.event })),
      })),
    };
  }

  /**
   * An accumulator with a snapshot's state. Local echoes that were pending come back `failed`:
   * whether they reached the server is unknown, so they wait for a retry (same transaction ID).
   */
  static restore(snapshot: AccumulatorSnapshot, now: () => number = Date.now): SyncAccumulator {
    const acc = new SyncAccumulator(snapshot.userId, now);
    acc.nextBatch = snapshot.nextBatch;
    for (const [type, content] of snapshot.accountData) {
      acc.accountData.set(type, content);
      if (type === "m.direct") acc.#readDirect(content);
    }
    for (const p of snapshot.presence) acc.presence.set(p.userId, p);
    for (const r of snapshot.rooms) {
      const room = acc.room(r.roomId);
      room.membership = r.membership;
      for (const ev of r.state) room.setState(ev);
      room.strippedState = r.strippedState;
      Object.assign(room.summary, r.summary);
      Object.assign(room.unread, r.unread);
      for (const [type, content] of r.accountData) room.setAccountData(type, content);
      const receipts: Record<string, Record<string, Record<string, unknown>>> = {};
      for (const [userId, rc] of r.receipts) {
        const forEvent = receipts[rc.eventId] ?? {};
        receipts[rc.eventId] = forEvent;
        forEvent[rc.type] = { ...forEvent[rc.type], [userId]: { ts: rc.ts } };
      }
      room.applyReceipts(receipts);
      const timeline = room.liveTimeline;
      for (const s of r.segments) {
        timeline.addSync(s.events, true, s.prevBatch);
        const last = timeline.segments.at(-1);
        if (!last) continue;
        last.prevBatch = s.prevBatch;
        for (const [i, token] of s.tokens ?? []) {
          const item = last.events[last.events.length - s.events.length + i];
          if (item) item.tokenBefore = token;
        }
      }
      for (const p of r.pending) {
        const item = new TimelineEvent(p.event, { txnId: p.txnId, status: "failed", synced: false });
        item.error = new Error("the client restarted before the server acknowledged the send");
        timeline.addLocalEcho(item);
      }
    }
    return acc;
  }
}

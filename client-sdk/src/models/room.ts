/**
 * A room as the client sees it: membership, current state, members with their profiles, the
 * timeline, unread counts, typing, receipts and room account data; and what a room list shows —
 * the name (the spec's "Calculating the display name for a room"), avatar, last message, whether it
 * is a direct chat. Pure data, filled by the sync accumulator.
 */
import { type BasicEvent, type ClientEvent, ROOM_VERSIONS } from "@hearth/federation/client";
import { Timeline, type TimelineEvent } from "./timeline.js";

/** A user's membership of a room. */
export type Membership = "join" | "invite" | "leave" | "ban" | "knock";

/** A room member, from its `m.room.member` state event. */
export interface Member {
  readonly userId: string;
  readonly membership: Membership;
  /** The display name as set (`displayname`), if any. */
  readonly displayName: string | undefined;
  /**
   * The name to show: the display name, disambiguated with the user ID when another joined or
   * invited member shares it ("Display names", "Calculating the display name for a user").
   */
  readonly name: string;
  readonly avatarUrl: string | undefined;
  /** The member event. */
  readonly event: ClientEvent | BasicEvent;
}

/** A read receipt: the event a user has read up to. */
export interface Receipt {
  readonly eventId: string;
  readonly ts: number | undefined;
  /** `m.read` or `m.read.private`. */
  readonly type: string;
  readonly threadId: string | undefined;
}

/** What a room needs to know about the client (who "me" is, which rooms are direct chats). */
export interface RoomContext {
  readonly userId: string;
  /** The other user of a direct chat (from `m.direct` account data), if the room is one. */
  directUserId(roomId: string): string | undefined;
}

/** Heroes and member counts (`summary` of a sync), used for the name of rooms without one. */
export interface RoomSummary {
  heroes: string[] | undefined;
  joinedMemberCount: number | undefined;
  invitedMemberCount: number | undefined;
}

/** Notification counts (`unread_notifications` of a sync). */
export interface UnreadCounts {
  notificationCount: number;
  highlightCount: number;
}

/** The moderation actions whose required power level `m.room.power_levels` sets at its top level. */
export type PowerAction = "invite" | "kick" | "ban" | "redact";

/** The spec's default level for each action ("m.room.power_levels"). */
const ACTION_DEFAULTS: Readonly<Record<PowerAction, number>> = { invite: 0, kick: 50, ban: 50, redact: 50 };

/** A power level value: an integer, or (older room versions) an integer-looking string. */
function level(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return undefined;
}

/** Types counted as messages for {@link Room.lastMessage}. */
const MESSAGE_TYPES = new Set(["m.room.message", "m.room.encrypted", "m.sticker"]);

/** The key of a state event in a state map. */
function stateKey(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A room. */
export class Room {
  /** This user's membership; `undefined` before the server said. */
  membership: Membership | undefined = undefined;
  /** The timeline: segments, gaps and local echoes. */
  readonly liveTimeline = new Timeline();
  readonly summary: RoomSummary = {
    heroes: undefined,
    joinedMemberCount: undefined,
    invitedMemberCount: undefined,
  };
  readonly unread: UnreadCounts = { notificationCount: 0, highlightCount: 0 };
  /** Users typing now (`m.typing`). */
  typingUserIds: readonly string[] = [];
  /** Stripped state of an invite or knock (`invite_state`), until the room is joined. */
  strippedState: readonly BasicEvent[] = [];
  readonly #state = new Map<string, ClientEvent | BasicEvent>();
  readonly #receipts = new Map<string, Receipt>();
  readonly #accountData = new Map<string, Record<string, unknown>>();

  constructor(
    readonly roomId: string,
    private readonly context: RoomContext,
  ) {}

  /** Every event of the timeline in order, local echoes (pending, sent, failed) last. */
  get timeline(): TimelineEvent[] {
    return this.liveTimeline.events;
  }

  // ---- State --------------------------------------------------------------------------------------

  /** The current state event of `type` and `stateKey` (stripped state for invites). */
  getState(type: string, key = ""): ClientEvent | BasicEvent | undefined {
    return (
      this.#state.get(stateKey(type, key)) ??
      this.strippedState.find((e) => e.type === type && (e.state_key ?? "") === key)
    );
  }

  /** Every current state event of `type`. */
  stateEvents(type: string): Array<ClientEvent | BasicEvent> {
    const out = [...this.#state.values()].filter((e) => e.type === type);
    return out.length > 0 ? out : this.strippedState.filter((e) => e.type === type);
  }

  /** Every current state event. */
  allState(): Array<ClientEvent | BasicEvent> {
    return [...this.#state.values()];
  }

  /** Sets a current state event (from a sync's `state` or `timeline`). */
  setState(event: ClientEvent | BasicEvent): void {
    if (event.state_key === undefined) return;
    this.#state.set(stateKey(event.type, event.state_key), event);
  }

  /** The room's own name (`m.room.name`), if set. */
  get explicitName(): string | undefined {
    return str(this.getState("m.room.name")?.content.name);
  }

  /** The canonical alias (`m.room.canonical_alias`), if set. */
  get canonicalAlias(): string | undefined {
    return str(this.getState("m.room.canonical_alias")?.content.alias);
  }

  get topic(): string | undefined {
    return str(this.getState("m.room.topic")?.content.topic);
  }

  /** The room version (`m.room.create`), when known. */
  get roomVersion(): string | undefined {
    const create = this.getState("m.room.create");
    return create ? (str(create.content.room_version) ?? "1") : undefined;
  }

  // ---- Members ------------------------------------------------------------------------------------

  /** Every member with a member event (any membership). */
  get members(): Member[] {
    const events = this.stateEvents("m.room.member");
    const counts = new Map<string, number>();
    for (const e of events) {
      const m = e.content.membership;
      const name = str(e.content.displayname);
      if (name && (m === "join" || m === "invite")) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return events.map((e) => this.#member(e, counts));
  }

  /** The member `userId`, if they have a member event. */
  member(userId: string): Member | undefined {
    const e = this.getState("m.room.member", userId);
    if (!e) return undefined;
    const name = str(e.content.displayname);
    let count = 0;
    if (name) {
      for (const other of this.stateEvents("m.room.member")) {
        const m = other.content.membership;
        if ((m === "join" || m === "invite") && other.content.displayname === name) count++;
      }
    }
    return this.#member(e, new Map(name ? [[name, count]] : []));
  }

  /** Members whose membership is `join`. */
  get joinedMembers(): Member[] {
    return this.members.filter((m) => m.membership === "join");
  }

  /** The name to show for `userId` here (their disambiguated display name, or the user ID). */
  memberName(userId: string): string {
    return this.member(userId)?.name ?? userId;
  }

  #member(e: ClientEvent | BasicEvent, nameCounts: ReadonlyMap<string, number>): Member {
    const userId = e.state_key ?? "";
    const displayName = str(e.content.displayname);
    const ambiguous = displayName !== undefined && (nameCounts.get(displayName) ?? 0) > 1;
    return {
      userId,
      membership: (e.content.membership as Membership) ?? "leave",
      displayName,
      name: displayName === undefined ? userId : ambiguous ? `${displayName} (${userId})` : displayName,
      avatarUrl: str(e.content.avatar_url),
      event: e,
    };
  }

  /** The user who invited this user, for an invite. */
  get inviter(): string | undefined {
    const own = this.getState("m.room.member", this.context.userId);
    return own?.content.membership === "invite" ? own.sender : undefined;
  }

  // ---- Power levels ("m.room.power_levels") ---------------------------------------------------------

  /**
   * The creators with infinite power level (room version 12: the create event's sender and
   * `additional_creators`), or `undefined` in versions where creators are ordinary users.
   */
  #infiniteCreators(): Set<string> | undefined {
    const create = this.getState("m.room.create");
    if (!create) return undefined;
    const rules = ROOM_VERSIONS.get(this.roomVersion ?? "1");
    if (rules?.auth.creators !== "create-sender-and-additional-infinite") return undefined;
    const extra = create.content.additional_creators;
    return new Set(
      [create.sender, ...(Array.isArray(extra) ? extra : [])].filter(
        (u): u is string => typeof u === "string",
      ),
    );
  }

  /**
   * `userId`'s power level: `Infinity` for a creator in room version 12; without a power levels
   * event, 100 for the creator and 0 for everyone else; else `users`, then `users_default`.
   */
  powerLevel(userId: string = this.context.userId): number {
    if (this.#infiniteCreators()?.has(userId)) return Number.POSITIVE_INFINITY;
    const pl = this.getState("m.room.power_levels")?.content;
    if (!pl) {
      const create = this.getState("m.room.create");
      const creator =
        ROOM_VERSIONS.get(this.roomVersion ?? "1")?.auth.creators === "content-creator"
          ? create?.content.creator
          : create?.sender;
      return creator === userId ? 100 : 0;
    }
    const users = pl.users && typeof pl.users === "object" ? (pl.users as Record<string, unknown>) : {};
    return level(users[userId]) ?? level(pl.users_default) ?? 0;
  }

  /** The level `action` needs (the spec's defaults when unset). */
  requiredLevel(action: PowerAction): number {
    return level(this.getState("m.room.power_levels")?.content[action]) ?? ACTION_DEFAULTS[action];
  }

  /** The level sending an event of `type` needs (`events`, else `state_default` or `events_default`). */
  requiredLevelToSend(type: string, options: { readonly state?: boolean } = {}): number {
    const pl = this.getState("m.room.power_levels")?.content;
    if (!pl) return 0;
    const events = pl.events && typeof pl.events === "object" ? (pl.events as Record<string, unknown>) : {};
    return (
      level(events[type]) ??
      (options.state ? (level(pl.state_default) ?? 50) : (level(pl.events_default) ?? 0))
    );
  }

  /** Whether `userId` (default: this user) may `action` at all. */
  canDo(action: PowerAction, userId: string = this.context.userId): boolean {
    return this.powerLevel(userId) >= this.requiredLevel(action);
  }

  /** Whether `userId` (default: this user) may send an event of `type`. */
  canSend(type: string, options: { readonly state?: boolean } = {}, userId = this.context.userId): boolean {
    return this.powerLevel(userId) >= this.requiredLevelToSend(type, options);
  }

  /**
   * Whether this user may kick or ban `targetUserId`: the action's level, and a level above the
   * target's (the authorization rules for `m.room.member`).
   */
  canModerate(action: "kick" | "ban", targetUserId: string): boolean {
    const mine = this.powerLevel();
    return mine >= this.requiredLevel(action) && mine > this.powerLevel(targetUserId);
  }

  /** Whether this user may redact `event`: their own always, others' with the `redact` level. */
  canRedact(event: { readonly sender: string }): boolean {
    return event.sender === this.context.userId || this.canDo("redact");
  }

  // ---- Room list ----------------------------------------------------------------------------------

  /**
   * The room's display name ("Calculating the display name for a room"): its `m.room.name`, else
   * its canonical alias, else a name made of its heroes (the summary's `m.heroes`, or up to five
   * other members), e.g. "Alice", "Alice and Bob", "Alice, Bob, Carol and 3 others",
   * "Empty Room (was Alice)", "Empty Room".
   */
  get name(): string {
    const explicit = this.explicitName ?? this.canonicalAlias;
    if (explicit) return explicit;
    const me = this.context.userId;
    const members = this.stateEvents("m.room.member");
    const isIn = (e: ClientEvent | BasicEvent) =>
      e.content.membership === "join" || e.content.membership === "invite";
    const joined =
      this.summary.joinedMemberCount ?? members.filter((e) => e.content.membership === "join").length;
    const invited =
      this.summary.invitedMemberCount ?? members.filter((e) => e.content.membership === "invite").length;
    let heroes = this.summary.heroes?.filter((u) => u !== me);
    if (!heroes || heroes.length === 0) {
      // No summary: up to five other joined or invited members, else those who left or were banned
      // (the spec orders them by stream order, which a client does not have: by user ID here).
      const others = members.filter((e) => e.state_key !== undefined && e.state_key !== me);
      const present = others.filter(isIn);
      heroes = (present.length > 0 ? present : others)
        .map((e) => e.state_key!)
        .sort()
        .slice(0, 5);
    }
    if (this.membership === "invite" && heroes.length === 0) {
      const inviter = this.inviter;
      if (inviter) return this.memberName(inviter);
    }
    const names = heroes.map((u) => this.memberName(u));
    const total = joined + invited;
    if (total > 1 || (total === 0 && this.membership === "invite")) {
      if (names.length === 0) return "Empty Room";
      const others = total - 1 - names.length;
      if (others > 0) return `${names.join(", ")} and ${others} other${others === 1 ? "" : "s"}`;
      if (names.length === 1) return names[0]!;
      return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    }
    if (names.length === 0) return "Empty Room";
    const was = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    return `Empty Room (was ${was})`;
  }

  /** The room's avatar (`m.room.avatar`), else, in a direct chat, the other user's. */
  get avatarUrl(): string | undefined {
    const own = str(this.getState("m.room.avatar")?.content.url);
    if (own) return own;
    const other = this.directUserId;
    return other ? this.member(other)?.avatarUrl : undefined;
  }

  /** The other user when this is a direct chat (`m.direct` account data names the room). */
  get directUserId(): string | undefined {
    return this.context.directUserId(this.roomId);
  }

  /** Whether this is a direct chat: listed in `m.direct`, or an invite marked `is_direct`. */
  get isDirect(): boolean {
    if (this.directUserId !== undefined) return true;
    return this.getState("m.room.member", this.context.userId)?.content.is_direct === true;
  }

  /** The latest message (not redacted, not an edit), local echoes included. */
  get lastMessage(): TimelineEvent | undefined {
    const events = this.timeline;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (MESSAGE_TYPES.has(e.type) && !e.redacted && !e.isEdit) return e;
    }
    return undefined;
  }

  /** The timestamp of the latest event, for ordering a room list. */
  get lastActivityTs(): number {
    return this.timeline.at(-1)?.ts ?? 0;
  }

  // ---- Receipts, markers, account data ------------------------------------------------------------

  /** Applies an `m.receipt` event's content (`{eventId: {type: {userId: {ts, thread_id}}}}`). */
  applyReceipts(content: Record<string, unknown>): Array<{ userId: string; receipt: Receipt }> {
    const changed: Array<{ userId: string; receipt: Receipt }> = [];
    for (const [eventId, byType] of Object.entries(content)) {
      if (!byType || typeof byType !== "object") continue;
      for (const [type, byUser] of Object.entries(byType as Record<string, unknown>)) {
        if (!byUser || typeof byUser !== "object") continue;
        for (const [userId, data] of Object.entries(
          byUser as Record<string, { ts?: number; thread_id?: string }>,
        )) {
          const receipt: Receipt = {
            eventId,
            ts: typeof data?.ts === "number" ? data.ts : undefined,
            type,
            threadId: typeof data?.thread_id === "string" ? data.thread_id : undefined,
          };
          // Threaded receipts do not move the main timeline's read position.
          if (receipt.threadId !== undefined && receipt.threadId !== "main") continue;
          this.#receipts.set(userId, receipt);
          changed.push({ userId, receipt });
        }
      }
    }
    return changed;
  }

  /** Read receipts by user (the latest `m.read` or `m.read.private` of each). */
  get receipts(): ReadonlyMap<string, Receipt> {
    return this.#receipts;
  }

  /** The users whose read receipt is at `eventId`. */
  readBy(eventId: string): string[] {
    return [...this.#receipts].filter(([, r]) => r.eventId === eventId).map(([u]) => u);
  }

  /** Room account data of `type`. */
  accountData(type: string): Record<string, unknown> | undefined {
    return this.#accountData.get(type);
  }

  /** Sets room account data. */
  setAccountData(type: string, content: Record<string, unknown>): void {
    this.#accountData.set(type, content);
  }

  /** Every room account data event. */
  allAccountData(): Array<[string, Record<string, unknown>]> {
    return [...this.#accountData];
  }

  /** The event the user has fully read up to (`m.fully_read`). */
  get fullyReadEventId(): string | undefined {
    return str(this.accountData("m.fully_read")?.event_id);
  }

  /** The room's tags (`m.tag`). */
  get tags(): Record<string, { order?: number }> {
    const tags = this.accountData("m.tag")?.tags;
    return tags && typeof tags === "object" ? (tags as Record<string, { order?: number }>) : {};
  }
}

/**
 * Room history visibility (Client-Server API, "Room History Visibility", "Server behaviour"): the one
 * place that decides whether a user may see an event, used by `/sync`, `/messages`, `/context`,
 * `/event` and every other read. The decision uses the room state *at the event* (the state before
 * it, from its state group), and the user's later memberships for `shared`:
 *
 * 1. If the `history_visibility` was `world_readable`, allow.
 * 2. If the user's `membership` was `join`, allow.
 * 3. If `history_visibility` was `shared`, and the user joined the room at any point after the event
 *    was sent, allow.
 * 4. If the user's `membership` was `invite`, and the `history_visibility` was `invited`, allow.
 * 5. Otherwise, deny.
 *
 * For `m.room.history_visibility` events the setting before *or* after the event may allow; for the
 * user's own `m.room.member` events their membership before *or* after may allow. A missing or unknown
 * setting counts as `shared`.
 *
 * It also decides which state a user may read ({@link HistoryVisibility.roomAccess}): the current state
 * while joined, the state when they left after leaving, the current state of a `world_readable` room.
 */
import { stateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { StateGroupStore } from "../../storage/state.js";
import { currentStateEvent } from "../rooms/current-state.js";

/** A `history_visibility` value. */
export type Visibility = "world_readable" | "shared" | "invited" | "joined";

const HV_KEY = stateMapKey("m.room.history_visibility", "");

/** Longest membership history walked for rule 3 (a bound against pathological rooms). */
const MAX_MEMBERSHIP_HISTORY = 1000;

/** Reads a `history_visibility` content value; unknown and missing values are `shared`. */
export function visibilityOf(content: unknown): Visibility {
  const v = (content as { history_visibility?: unknown } | undefined)?.history_visibility;
  return v === "world_readable" || v === "invited" || v === "joined" || v === "shared" ? v : "shared";
}

function membershipOf(content: unknown): string | undefined {
  const m = (content as { membership?: unknown } | undefined)?.membership;
  return typeof m === "string" ? m : undefined;
}

/** What a user may read of a room's state. */
export type RoomAccess =
  /** Joined: the current state. */
  | { readonly kind: "joined" }
  /** Left or banned: the state when they left (after their membership event). */
  | { readonly kind: "departed"; readonly event: StoredEvent }
  /** Not a member, but the room is `world_readable`: the current state. */
  | { readonly kind: "world_readable" };

/** What the checks read. */
export interface VisibilityDeps {
  readonly events: EventStore;
  readonly stateGroups: StateGroupStore;
  readonly rooms: RoomStore;
}

/** Decides what users may see. */
export class HistoryVisibility {
  constructor(private readonly deps: VisibilityDeps) {}

  /** A checker for one user in one room; it memoizes state lookups, so use one per request. */
  viewer(userId: string, roomId: string): RoomViewer {
    return new RoomViewer(this.deps, userId, roomId);
  }

  /**
   * What state of a room a user may read, or undefined when they may read none ("You aren't a
   * member of the room and weren't previously a member of the room"). Invited and knocking users
   * see none unless the room is world-readable.
   */
  async roomAccess(userId: string, roomId: string): Promise<RoomAccess | undefined> {
    const { rooms, events } = this.deps;
    if (!(await rooms.info(roomId))) return undefined;
    const m = await rooms.membership(userId, roomId);
    if (m?.membership === "join") return { kind: "joined" };
    if (m && (m.membership === "leave" || m.membership === "ban")) {
      const event = await events.get(m.eventId);
      // A user who left without ever joining (a rejected invite) saw nothing of the room.
      if (event && (await this.viewer(userId, roomId).everJoined())) return { kind: "departed", event };
    }
    if (await this.isWorldReadable(roomId)) return { kind: "world_readable" };
    return undefined;
  }

  /** Whether the room's current `history_visibility` is `world_readable`. */
  async isWorldReadable(roomId: string): Promise<boolean> {
    const ev = await currentStateEvent(this.deps, roomId, "m.room.history_visibility");
    return visibilityOf(ev?.pdu.content) === "world_readable";
  }
}

/** One of a user's membership events. */
export interface MembershipChange {
  readonly eventId: string;
  /** Its events stream position. */
  readonly stream: number;
  readonly membership: string;
}

interface StateAt {
  readonly visibility: Visibility;
  readonly membership: string | undefined;
}

/** Visibility checks for one user in one room (memoized by state group). */
export class RoomViewer {
  readonly #memberKey: string;
  readonly #at = new Map<number, Promise<StateAt>>();
  #history: Promise<MembershipChange[]> | undefined;

  constructor(
    private readonly deps: VisibilityDeps,
    readonly userId: string,
    readonly roomId: string,
  ) {
    this.#memberKey = stateMapKey("m.room.member", userId);
  }

  /** Whether the user may see `ev`. Rejected, soft-failed and outlier events are never shown. */
  async canSee(ev: StoredEvent): Promise<boolean> {
    if (ev.roomId !== this.roomId || ev.rejected || ev.softFailed || ev.outlier) return false;
    const before = await this.#stateAt(ev.stateGroupBefore);
    const visibilities: Visibility[] = [before.visibility];
    const memberships: Array<string | undefined> = [before.membership];
    if (ev.pdu.type === "m.room.history_visibility" && ev.pdu.state_key === "") {
      visibilities.push(visibilityOf(ev.pdu.content));
    }
    if (ev.pdu.type === "m.room.member" && ev.pdu.state_key === this.userId) {
      memberships.push(membershipOf(ev.pdu.content));
    }
    for (const visibility of visibilities) {
      for (const membership of memberships) {
        if (await this.#allowed(ev, visibility, membership)) return true;
      }
    }
    return false;
  }

  /** The events the user may see, in the same order. */
  async filter(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (const ev of events) if (await this.canSee(ev)) out.push(ev);
    return out;
  }

  /** Whether the user has ever been joined to the room (per their membership history). */
  async everJoined(): Promise<boolean> {
    return (await this.membershipHistory()).some((m) => m.membership === "join");
  }

  /**
   * The user's membership as of events stream position `stream` (from their membership history),
   * with the position of that membership event; undefined when they had none.
   */
  async membershipAt(stream: number): Promise<MembershipChange | undefined> {
    return (await this.membershipHistory()).find((m) => m.stream <= stream);
  }

  async #allowed(ev: StoredEvent, visibility: Visibility, membership: string | undefined): Promise<boolean> {
    if (visibility === "world_readable") return true; // rule 1
    if (membership === "join") return true; // rule 2
    if (visibility === "shared") {
      // rule 3: joined at any point after the event was sent. Backfilled events are older than every
      // event held before them (their stream positions are newer only because they arrived later).
      const history = await this.membershipHistory();
      if (history.some((m) => m.membership === "join" && (ev.backfilled || m.stream > ev.stream)))
        return true;
    }
    if (visibility === "invited" && membership === "invite") return true; // rule 4
    return false; // rule 5
  }

  #stateAt(group: number): Promise<StateAt> {
    let p = this.#at.get(group);
    if (!p) {
      p = this.#loadStateAt(group);
      this.#at.set(group, p);
    }
    return p;
  }

  async #loadStateAt(group: number): Promise<StateAt> {
    if (group < 0) return { visibility: "shared", membership: undefined };
    const { stateGroups, events } = this.deps;
    const [hvId, memberId] = await Promise.all([
      stateGroups.entry(group, HV_KEY),
      stateGroups.entry(group, this.#memberKey),
    ]);
    const [hv, member] = await Promise.all([
      hvId ? events.get(hvId) : undefined,
      memberId ? events.get(memberId) : undefined,
    ]);
    return {
      visibility: hv ? visibilityOf(hv.pdu.content) : "shared",
      membership: member ? membershipOf(member.pdu.content) : undefined,
    };
  }

  /**
   * The user's membership events in the room, newest first: the current one, then each one it
   * replaced (from the state before it).
   */
  membershipHistory(): Promise<MembershipChange[]> {
    this.#history ??= (async () => {
      const { rooms, events, stateGroups } = this.deps;
      const out: MembershipChange[] = [];
      const current = await rooms.membership(this.userId, this.roomId);
      let id: string | undefined = current?.eventId;
      const seen = new Set<string>();
      while (id && !seen.has(id) && out.length < MAX_MEMBERSHIP_HISTORY) {
        seen.add(id);
        const ev = await events.get(id);
        if (!ev) break;
        const membership = membershipOf(ev.pdu.content);
        if (membership) out.push({ eventId: ev.eventId, stream: ev.stream, membership });
        id =
          ev.stateGroupBefore >= 0
            ? await stateGroups.entry(ev.stateGroupBefore, this.#memberKey)
            : undefined;
      }
      return out;
    })();
    return this.#history;
  }
}

/**
 * Unread notification counts for `/sync` (Push Notifications module, "Receiving notifications" and
 * "Marking notifications as read"): the events after what the user has read — their furthest `m.read`
 * or `m.read.private` receipt, or their own latest event, or else their join — for which their push
 * rules say `notify` (and `highlight`).
 *
 * Counted when a sync asks, with the rules and room state of that moment, and kept per (user, room):
 * later syncs evaluate only newer events, so a rule change applies from then on (as Synapse, which
 * fixes each event's actions when it arrives). A count dropped from the bounded cache is redone.
 */
import { userPowerLevel } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import { relationOf } from "../../storage/relations.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "../rooms/current-state.js";
import { evaluatePushRules, type PushContext } from "./evaluator.js";
import type { Ruleset } from "./push-rules-service.js";

/** The counts `/sync` puts in a joined room's `unread_notifications`. */
export interface UnreadCounts {
  readonly notification_count: number;
  readonly highlight_count: number;
}

export interface UnreadCounterDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly ruleset: (userId: string) => Promise<Ruleset>;
  /** The stream position of the latest event the user has read by receipt. */
  readonly readUpTo: (roomId: string, userId: string) => Promise<number | undefined>;
  /** The same in one thread (`main` or a thread root's ID), for per-thread counts. */
  readonly readUpToIn?: (roomId: string, userId: string, threadId: string) => Promise<number | undefined>;
}

/** Counts split by thread: the main timeline, and each thread root with unread events. */
export interface ThreadedUnreadCounts {
  readonly main: UnreadCounts;
  readonly threads: Record<string, UnreadCounts>;
}

/**
 * At most this many unread events are looked at per room and sync; a room with more shows this many.
 * NOTSPEC: exact counts beyond it would need notifications recorded as events arrive.
 */
export const MAX_UNREAD_SCAN = 1000;
const BATCH = 100;
/** (user, room) counts kept, so that a sync only evaluates the events since the previous one. */
const MAX_CACHED = 20_000;

/** Counts unread notifications. */
export class UnreadCounter {
  constructor(private readonly deps: UnreadCounterDeps) {}

  /** Per (user, room): the counts up to a stream position, for a read position. Least recently used first. */
  readonly #cache = new Map<string, { read: number; upTo: number; counts: UnreadCounts }>();

  /** The counts of `userId` in a joined room, over events up to stream position `upTo`. */
  async counts(userId: string, roomId: string, joinedAt: number, upTo: number): Promise<UnreadCounts> {
    const read = Math.max(joinedAt, (await this.deps.readUpTo(roomId, userId)) ?? 0);
    const key = `${userId}\u0000${roomId}`;
    const cached = this.#cache.get(key);
    this.#cache.delete(key);
    // Only the events since the last count are new, unless the user has read further since.
    const known = cached && cached.read === read && cached.upTo <= upTo ? cached : undefined;
    const fresh = await this.#count(userId, roomId, known?.upTo ?? read, upTo);
    const counts =
      known && !fresh.sawOwn
        ? {
            notification_count: known.counts.notification_count + fresh.counts.notification_count,
            highlight_count: known.counts.highlight_count + fresh.counts.highlight_count,
          }
        : fresh.counts;
    this.#cache.set(key, { read, upTo, counts });
    if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    return counts;
  }

  /**
   * Counts per thread ("Receiving notifications", threaded): an event in a thread (`m.thread`) counts
   * for its root, anything else for the main timeline; each against the user's read position in its
   * thread (their unthreaded receipts, their receipts in that thread, their own latest event there,
   * else their join). Counted afresh at each call over at most {@link MAX_UNREAD_SCAN} events after
   * the earliest of those positions (no cache, unlike the unthreaded counts).
   */
  async threadedCounts(
    userId: string,
    roomId: string,
    joinedAt: number,
    upTo: number,
  ): Promise<ThreadedUnreadCounts> {
    const readIn = this.deps.readUpToIn ?? ((r: string, u: string) => this.deps.readUpTo(r, u));
    const unthreaded = Math.max(joinedAt, (await readIn(roomId, userId, "")) ?? 0);
    const positions = new Map<string, number>();
    const readPosition = async (thread: string) => {
      let p = positions.get(thread);
      if (p === undefined) {
        p = Math.max(unthreaded, (await readIn(roomId, userId, thread)) ?? 0);
        positions.set(thread, p);
      }
      return p;
    };
    const counts = new Map<string, { notification_count: number; highlight_count: number }>();
    const ownSeen = new Set<string>();
    let ctx: RoomPushContext | undefined;
    let ruleset: Promise<Ruleset> | undefined;
    let cursor = upTo;
    let scanned = 0;
    while (cursor > unthreaded && scanned < MAX_UNREAD_SCAN) {
      const evs = await this.deps.events.timeline(roomId, {
        after: unthreaded,
        upTo: cursor,
        limit: BATCH,
        reverse: true,
      });
      for (const ev of evs) {
        if (++scanned > MAX_UNREAD_SCAN) break;
        const relation = relationOf(ev.pdu.content);
        const thread = relation?.relType === "m.thread" ? relation.parentId : "main";
        if (ownSeen.has(thread) || ev.stream <= (await readPosition(thread))) continue;
        // The user's own event marks everything before it in its thread as read.
        if (ev.pdu.sender === userId) {
          ownSeen.add(thread);
          continue;
        }
        if (ev.rejected || ev.softFailed) continue;
        ctx ??= roomPushContext(this.deps, roomId, userId);
        ruleset ??= this.deps.ruleset(userId);
        const outcome = await evaluatePushRules(
          await ruleset,
          ev.pdu as unknown as Record<string, unknown>,
          ctx.forSender(ev),
        );
        if (!outcome.notify && !outcome.highlight) continue;
        const c = counts.get(thread) ?? { notification_count: 0, highlight_count: 0 };
        if (outcome.notify) c.notification_count++;
        if (outcome.highlight) c.highlight_count++;
        counts.set(thread, c);
      }
      if (evs.length < BATCH) break;
      cursor = evs[evs.length - 1]!.stream - 1;
    }
    const { main = { notification_count: 0, highlight_count: 0 }, ...threads } = Object.fromEntries(counts);
    return { main, threads };
  }

  /**
   * Counts the events in (after, upTo], newest first, stopping at the user's own event (`sawOwn`):
   * sending an event marks everything before it as read.
   */
  async #count(
    userId: string,
    roomId: string,
    after: number,
    upTo: number,
  ): Promise<{ counts: UnreadCounts; sawOwn: boolean }> {
    let notifications = 0;
    let highlights = 0;
    const result = (sawOwn: boolean) => ({
      counts: { notification_count: notifications, highlight_count: highlights },
      sawOwn,
    });
    let ctx: RoomPushContext | undefined;
    let ruleset: Promise<Ruleset> | undefined;
    let cursor = upTo;
    let scanned = 0;
    while (cursor > after && scanned < MAX_UNREAD_SCAN) {
      const evs = await this.deps.events.timeline(roomId, {
        after,
        upTo: cursor,
        limit: BATCH,
        reverse: true,
      });
      for (const ev of evs) {
        if (ev.pdu.sender === userId) return result(true);
        if (++scanned > MAX_UNREAD_SCAN) break;
        if (ev.rejected || ev.softFailed) continue;
        ctx ??= roomPushContext(this.deps, roomId, userId);
        ruleset ??= this.deps.ruleset(userId);
        const outcome = await evaluatePushRules(
          await ruleset,
          ev.pdu as unknown as Record<string, unknown>,
          ctx.forSender(ev),
        );
        if (outcome.notify) notifications++;
        if (outcome.highlight) highlights++;
      }
      if (evs.length < BATCH) break;
      cursor = evs[evs.length - 1]!.stream - 1;
    }
    return result(false);
  }
}

/**
 * The room facts push conditions read for `userId`, from the room's current state, each loaded when
 * first asked (shared by unread counts and pushers).
 */
export function roomPushContext(
  deps: { readonly rooms: RoomStore; readonly events: EventStore },
  roomId: string,
  userId: string,
): RoomPushContext {
  const { rooms } = deps;
  const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= load());
  };
  const stateEvent = (type: string, stateKey: string) =>
    once(async () => (await currentStateEvent(deps, roomId, type, stateKey))?.pdu);
  const create = stateEvent("m.room.create", "");
  const powerLevels = stateEvent("m.room.power_levels", "");
  const member = stateEvent("m.room.member", userId);
  const memberCount = once(async () => {
    let n = 0;
    for (const m of (await rooms.membersOfRoom(roomId)).values()) if (m.membership === "join") n++;
    return n;
  });
  const roomVersion = once(async () => (await rooms.info(roomId))?.roomVersion ?? "10");
  const displayName = once(async () => {
    const name = ((await member())?.content as { displayname?: unknown } | undefined)?.displayname;
    return typeof name === "string" ? name : undefined;
  });
  const notificationLevel = async (key: string) => {
    const content = (await powerLevels())?.content as { notifications?: Record<string, unknown> } | undefined;
    const level = content?.notifications?.[key];
    if (typeof level === "number" && Number.isInteger(level)) return level;
    // Room versions 1–9 also accept integer strings; m.room.power_levels: `notifications.room` defaults to 50.
    return typeof level === "string" && /^[+-]?[0-9]+$/.test(level.trim()) ? Number(level.trim()) : 50;
  };
  const senderLevels = new Map<string, Promise<number>>();
  const senderLevel = (sender: string) => {
    let level = senderLevels.get(sender);
    if (!level) {
      level = (async () => {
        const c = await create();
        return c ? userPowerLevel(sender, await powerLevels(), c, await roomVersion()) : 0;
      })();
      senderLevels.set(sender, level);
    }
    return level;
  };
  return {
    forSender: (ev) => ({
      displayName,
      memberCount,
      notificationLevel,
      senderPowerLevel: () => senderLevel(ev.pdu.sender),
    }),
  };
}

/** Push contexts per event sender, for one user in one room. */
export interface RoomPushContext {
  forSender(ev: StoredEvent): PushContext;
}

/**
 * Unread notification counts for `/sync` (Push Notifications module, "Receiving notifications" and
 * "Marking notifications as read"): the events after what the user has read — their furthest `m.read`
 * or `m.read.private` receipt, or their own latest event, or else their join — for which their push
 * rules say `notify` (and `highlight`).
 *
 * Counted when a sync asks, with the rules and room state of that moment: a rule change applies to
 * unread events that came before it too (Synapse fixes each event's actions when it arrives).
 */
import { userPowerLevel } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
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
}

/**
 * At most this many unread events are looked at per room and sync; a room with more shows this many.
 * NOTSPEC: exact counts beyond it would need notifications recorded as events arrive.
 */
export const MAX_UNREAD_SCAN = 1000;
const BATCH = 100;

/** Counts unread notifications. */
export class UnreadCounter {
  constructor(private readonly deps: UnreadCounterDeps) {}

  /** The counts of `userId` in a joined room, over events up to stream position `upTo`. */
  async counts(userId: string, roomId: string, joinedAt: number, upTo: number): Promise<UnreadCounts> {
    const read = Math.max(joinedAt, (await this.deps.readUpTo(roomId, userId)) ?? 0);
    let notifications = 0;
    let highlights = 0;
    let ctx: Promise<RoomPushContext> | undefined;
    let ruleset: Promise<Ruleset> | undefined;
    let cursor = upTo;
    let scanned = 0;
    while (cursor > read && scanned < MAX_UNREAD_SCAN) {
      const evs = await this.deps.events.timeline(roomId, {
        after: read,
        upTo: cursor,
        limit: BATCH,
        reverse: true,
      });
      for (const ev of evs) {
        // Sending an event marks everything before it as read.
        if (ev.pdu.sender === userId)
          return { notification_count: notifications, highlight_count: highlights };
        if (++scanned > MAX_UNREAD_SCAN) break;
        if (ev.rejected || ev.softFailed) continue;
        ctx ??= this.#context(roomId, userId);
        ruleset ??= this.deps.ruleset(userId);
        const outcome = evaluatePushRules(
          await ruleset,
          ev.pdu as unknown as Record<string, unknown>,
          (await ctx).forSender(ev),
        );
        if (outcome.notify) notifications++;
        if (outcome.highlight) highlights++;
      }
      if (evs.length < BATCH) break;
      cursor = evs[evs.length - 1]!.stream - 1;
    }
    return { notification_count: notifications, highlight_count: highlights };
  }

  /** The room facts push conditions read, from the room's current state. */
  async #context(roomId: string, userId: string): Promise<RoomPushContext> {
    const { events, rooms } = this.deps;
    const stateEvent = async (type: string, stateKey: string) => {
      const id = await rooms.currentStateEventId(roomId, type, stateKey);
      return id ? (await events.get(id))?.pdu : undefined;
    };
    const [create, powerLevels, member, members, info] = await Promise.all([
      stateEvent("m.room.create", ""),
      stateEvent("m.room.power_levels", ""),
      stateEvent("m.room.member", userId),
      rooms.membersOfRoom(roomId),
      rooms.info(roomId),
    ]);
    const roomVersion = info?.roomVersion ?? "10";
    const notifications = (powerLevels?.content as { notifications?: Record<string, unknown> } | undefined)
      ?.notifications;
    let memberCount = 0;
    for (const m of members.values()) if (m.membership === "join") memberCount++;
    const displayName = (member?.content as { displayname?: unknown } | undefined)?.displayname;
    const base = {
      memberCount,
      ...(typeof displayName === "string" ? { displayName } : {}),
      // m.room.power_levels: `notifications.room` defaults to 50.
      notificationLevel: (key: string) => {
        const level = notifications?.[key];
        if (typeof level === "number" && Number.isInteger(level)) return level;
        // Room versions 1–9 also accept integer strings.
        return typeof level === "string" && /^[+-]?[0-9]+$/.test(level.trim()) ? Number(level.trim()) : 50;
      },
    };
    const senderLevels = new Map<string, number>();
    return {
      forSender: (ev) => {
        const sender = ev.pdu.sender;
        let level = senderLevels.get(sender);
        if (level === undefined) {
          level = create ? userPowerLevel(sender, powerLevels, create, roomVersion) : 0;
          senderLevels.set(sender, level);
        }
        return { ...base, senderPowerLevel: level };
      },
    };
  }
}

interface RoomPushContext {
  forSender(ev: StoredEvent): PushContext;
}

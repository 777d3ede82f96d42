/**
 * `GET /notifications` (Push Notifications module, "Listing notifications"): the events of the
 * user's joined rooms their push rules say notify for, newest first, with the actions, whether the
 * user has read them, and the room. Worked out at request time: the most recent
 * {@link PER_ROOM_SCAN} events of each room are looked at (notifications are not recorded as events
 * arrive yet), so older notifications of busy rooms do not appear.
 */
import { MatrixError } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { evaluatePushRules } from "./evaluator.js";
import type { Ruleset } from "./push-rules-service.js";
import { roomPushContext } from "./unread.js";

/** What the listing needs. */
export interface NotificationsDeps {
  readonly rooms: RoomStore;
  readonly events: EventStore;
  readonly ruleset: (userId: string) => Promise<Ruleset>;
  readonly readUpTo: (roomId: string, userId: string) => Promise<number | undefined>;
  /** Events in client format, as the user sees them. */
  readonly serialize: (events: readonly StoredEvent[], userId: string) => Promise<Record<string, unknown>[]>;
}

/** Most recent events looked at per room. */
const PER_ROOM_SCAN = 200;
const DEFAULT_LIMIT = 50;

/** Lists notifications. */
export class NotificationsService {
  constructor(private readonly deps: NotificationsDeps) {}

  async list(
    userId: string,
    options: { from?: string; limit?: number; only?: string },
  ): Promise<{ notifications: Record<string, unknown>[]; next_token?: string }> {
    let before: number | undefined;
    if (options.from !== undefined) {
      if (!/^\d{1,16}$/.test(options.from)) throw new MatrixError("M_INVALID_PARAM", "Invalid 'from' token");
      before = Number(options.from);
    }
    const limit = Math.min(options.limit ?? DEFAULT_LIMIT, 100);
    const found: Array<{ ev: StoredEvent; actions: readonly unknown[]; read: boolean }> = [];
    const ruleset = await this.deps.ruleset(userId);
    for (const [roomId, m] of await this.deps.rooms.roomsOfUser(userId)) {
      if (m.membership !== "join") continue;
      const ctx = roomPushContext(this.deps, roomId, userId);
      const readUpTo = (await this.deps.readUpTo(roomId, userId)) ?? m.stream;
      const evs = await this.deps.events.timeline(roomId, {
        after: m.stream - 1,
        ...(before !== undefined ? { upTo: before - 1 } : {}),
        limit: PER_ROOM_SCAN,
        reverse: true,
      });
      let ownLatest = 0;
      for (const ev of evs) if (ev.pdu.sender === userId) ownLatest = Math.max(ownLatest, ev.stream);
      for (const ev of evs) {
        if (ev.pdu.sender === userId || ev.rejected || ev.softFailed) continue;
        const outcome = await evaluatePushRules(
          ruleset,
          ev.pdu as unknown as Record<string, unknown>,
          ctx.forSender(ev),
        );
        if (!outcome.notify || (options.only === "highlight" && !outcome.highlight)) continue;
        found.push({ ev, actions: outcome.actions, read: ev.stream <= Math.max(readUpTo, ownLatest) });
      }
    }
    found.sort((a, b) => b.ev.stream - a.ev.stream);
    const page = found.slice(0, limit);
    const events = await this.deps.serialize(
      page.map((f) => f.ev),
      userId,
    );
    return {
      notifications: page.map((f, i) => ({
        actions: f.actions,
        event: events[i],
        read: f.read,
        room_id: f.ev.roomId,
        ts: f.ev.pdu.origin_server_ts,
      })),
      ...(found.length > limit ? { next_token: String(page.at(-1)!.ev.stream) } : {}),
    };
  }
}

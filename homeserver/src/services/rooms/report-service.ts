/**
 * Reporting content (Client-Server API, "Reporting content"): a user reports an event of a room they
 * are in, or the room itself; the report is kept for the server's administrators and logged.
 */
import { MatrixError } from "@hearth/federation";
import type { Logger } from "pino";
import type { Database } from "../../storage/db.js";
import type { EventStore } from "../../storage/events.js";
import type { ReportStore } from "../../storage/reports.js";
import type { RoomStore } from "../../storage/rooms.js";

export interface ReportDeps {
  readonly db: Database;
  readonly store: ReportStore;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly logger: Pick<Logger, "info">;
  readonly now: () => number;
}

/** Takes reports. */
export class ReportService {
  constructor(private readonly deps: ReportDeps) {}

  /** Reports `eventId` (or, without one, the room); only what the reporter can see. */
  async report(
    userId: string,
    roomId: string,
    eventId: string | undefined,
    details: { reason?: string; score?: number },
  ): Promise<void> {
    if (details.score !== undefined && (details.score < -100 || details.score > 0)) {
      throw new MatrixError("M_INVALID_PARAM", "score must be between -100 and 0");
    }
    if ((await this.deps.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_NOT_FOUND", "Unknown room");
    }
    if (eventId !== undefined) {
      const ev = await this.deps.events.get(eventId);
      if (!ev || ev.roomId !== roomId) throw new MatrixError("M_NOT_FOUND", "Unknown event");
    }
    await this.deps.db.write(
      this.deps.store.addOps({
        user_id: userId,
        room_id: roomId,
        ...(eventId ? { event_id: eventId } : {}),
        ...(details.reason !== undefined ? { reason: details.reason } : {}),
        ...(details.score !== undefined ? { score: details.score } : {}),
        received_ts: this.deps.now(),
      }),
    );
    this.deps.logger.info({ userId, roomId, eventId, reason: details.reason }, "content reported");
  }
}

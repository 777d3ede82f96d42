/**
 * Backfill (Server-Server API, "Backfilling and retrieving missing events"): when a user pages back
 * past the oldest event this server holds, ask a server in the room for the events before it.
 */
import { computeEventId, type FederationClient, type Pdu } from "@hearth/federation";
import type { Logger } from "pino";
import type { EventStore } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { EventPipeline } from "../events/pipeline.js";
import type { InboundService } from "./inbound/inbound-service.js";

/** What backfill needs. */
export interface BackfillDeps {
  readonly serverName: string;
  readonly pipeline: EventPipeline;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly client: FederationClient;
  readonly inbound: InboundService;
  readonly logger: Logger;
}

/** Most events asked for in one backfill request. */
const MAX_BACKFILL = 100;

/** Most `/state_ids` requests for one backfilled batch. */
const MAX_STATE_FETCHES = 3;

/** Fetches older history of rooms from other servers. */
export class BackfillService {
  constructor(private readonly deps: BackfillDeps) {}

  /** Backfills up to `limit` events before the oldest one held; returns how many were added. */
  async backfill(roomId: string, limit: number): Promise<number> {
    const { rooms, events, client, inbound, pipeline, serverName, logger } = this.deps;
    const info = await rooms.info(roomId);
    if (!info) return 0;
    const [earliest] = await events.topological(roomId, { dir: "f", limit: 1 });
    if (!earliest || earliest.pdu.type === "m.room.create") return 0;
    const servers = new Set<string>();
    for (const [userId, m] of await rooms.membersOfRoom(roomId)) {
      const server = userId.slice(userId.indexOf(":") + 1);
      if (m.membership === "join" && server !== serverName) servers.add(server);
    }
    for (const server of servers) {
      let pdus: Pdu[];
      try {
        const res = await client.request(
          server,
          "GET",
          `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}`,
          {
            query: { v: [earliest.eventId], limit: String(Math.min(Math.max(limit, 1), MAX_BACKFILL)) },
          },
        );
        const body = res.json as { pdus?: unknown };
        pdus = Array.isArray(body.pdus) ? (body.pdus as Pdu[]) : [];
      } catch (e) {
        logger.info({ server, roomId, err: (e as Error).message }, "backfill failed");
        continue;
      }
      const verified: Pdu[] = [];
      for (const p of pdus) {
        if (p?.room_id !== roomId) continue;
        try {
          const v = await inbound.verify(p, info.roomVersion);
          await inbound.ensureAuthEvents(
            server,
            roomId,
            info.roomVersion,
            v,
            computeEventId(v, info.roomVersion),
          );
          verified.push(v);
        } catch (e) {
          logger.info({ server, roomId, err: (e as Error).message }, "dropped a backfilled event");
        }
      }
      verified.sort((a, b) => (a.depth ?? 0) - (b.depth ?? 0));
      const added = await pipeline.persistBackfilled(
        roomId,
        info.roomVersion,
        verified,
        earliest.stateGroupBefore,
        await this.#boundaryStates(server, roomId, info.roomVersion, verified),
      );
      if (added > 0) return added;
    }
    return 0;
  }

  /**
   * The state before each backfilled event whose prev events we hold neither in the batch nor in
   * the room (usually just the oldest), from the server's `/state_ids`; the others' state follows
   * from their prev events. At most {@link MAX_STATE_FETCHES} are asked for; the rest, and any the
   * server will not tell, fall back to an approximation (see `persistBackfilled`).
   */
  async #boundaryStates(
    server: string,
    roomId: string,
    roomVersion: string,
    batch: readonly Pdu[],
  ): Promise<Map<string, ReadonlyMap<string, string>>> {
    const ids = new Set(batch.map((p) => computeEventId(p, roomVersion)));
    const out = new Map<string, ReadonlyMap<string, string>>();
    for (const pdu of batch) {
      if (out.size >= MAX_STATE_FETCHES) break;
      if (pdu.type === "m.room.create") continue;
      const prevIds = (pdu.prev_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
      const held = await Promise.all(
        prevIds.map(async (id) => ids.has(id) || (await this.deps.events.get(id))?.outlier === false),
      );
      if (prevIds.length > 0 && held.every(Boolean)) continue;
      const eventId = computeEventId(pdu, roomVersion);
      try {
        out.set(eventId, await this.deps.inbound.stateAt(server, roomId, roomVersion, eventId));
      } catch (e) {
        this.deps.logger.info(
          { server, roomId, eventId, err: (e as Error).message },
          "no state for a backfilled event",
        );
      }
    }
    return out;
  }
}

// GET /_matrix/federation/v1/backfill/{roomId}?v=&limit= (Server-Server API, "Backfilling and retrieving missing events")
import { MatrixError, prevEventIds } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { StoredEvent } from "../../storage/events.js";
import type { FederationServingDeps } from "./deps.js";

/** The most events one backfill request returns. */
export const MAX_BACKFILL = 100;

/** Orders by depth, then stream position, newest first. */
function newer(a: StoredEvent, b: StoredEvent): number {
  return b.depth - a.depth || b.stream - a.stream;
}

/**
 * The given events and those preceding them, up to `limit`: a walk back along `prev_events`, always
 * taking the deepest event not yet taken (newest first), as Synapse does. Events the requesting
 * server may not see are redacted.
 */
export function getBackfillRoute(
  deps: Pick<FederationServingDeps, "serverName" | "access" | "events" | "now">,
): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/backfill/:roomId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      const roomId = req.param("roomId");
      const from = req.queries("v");
      if (from.length === 0) throw new MatrixError("M_MISSING_PARAM", "v is required");
      const rawLimit = req.query("limit");
      if (rawLimit === undefined) throw new MatrixError("M_MISSING_PARAM", "limit is required");
      const limit = Number(rawLimit);
      if (!/^\d+$/.test(rawLimit) || !Number.isSafeInteger(limit)) {
        throw new MatrixError("M_INVALID_PARAM", "limit must be a non-negative integer");
      }
      const info = await deps.access.assertServerInRoom(req.origin, roomId);
      const max = Math.min(limit, MAX_BACKFILL);
      const seen = new Set<string>(from);
      const inRoom = (e: StoredEvent | undefined): e is StoredEvent =>
        e !== undefined && e.roomId === roomId && e.rejected === undefined;
      const queue = (await deps.events.getMany(from)).filter(inRoom);
      const out: StoredEvent[] = [];
      while (queue.length > 0 && out.length < max) {
        queue.sort(newer);
        const ev = queue.shift()!;
        out.push(ev);
        const prevs = prevEventIds(ev.pdu).filter((id) => !seen.has(id));
        for (const id of prevs) seen.add(id);
        queue.push(...(await deps.events.getMany(prevs)).filter(inRoom));
      }
      const pdus = await deps.access.pdusFor(req.origin, out, info.roomVersion);
      return ok({ origin: deps.serverName, origin_server_ts: deps.now(), pdus });
    },
  };
}

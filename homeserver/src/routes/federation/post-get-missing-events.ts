// POST /_matrix/federation/v1/get_missing_events/{roomId} (Server-Server API, "Backfilling and retrieving missing events")
import { MatrixError, prevEventIds } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { StoredEvent } from "../../storage/events.js";
import type { FederationServingDeps } from "./deps.js";

/** The most events one request returns. */
export const MAX_MISSING_EVENTS = 100;

function eventIdList(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new MatrixError("M_BAD_JSON", `${name} must be an array of event IDs`);
  }
  return value as string[];
}

function optionalInteger(body: Record<string, unknown>, name: string, fallback: number): number {
  const value = body[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new MatrixError("M_BAD_JSON", `${name} must be an integer`);
  }
  return value;
}

/**
 * The ancestors of `latest_events` the requester is missing: a breadth-first walk of `prev_events`
 * that skips `earliest_events` (and does not walk past them), events below `min_depth`, and stops at
 * `limit` (default 10). Returned oldest first (the walk reversed), as Synapse does; events the
 * requesting server may not see are redacted.
 */
export function postGetMissingEventsRoute(
  deps: Pick<FederationServingDeps, "access" | "events">,
): FederationRoute {
  return {
    method: "POST",
    paths: [federationPath("/get_missing_events/:roomId")],
    auth: "x-matrix",
    roomParam: "roomId",
    async handler(req) {
      const roomId = req.param("roomId");
      const body = await req.json();
      const earliest = eventIdList(body, "earliest_events");
      const latest = eventIdList(body, "latest_events");
      const limit = Math.min(Math.max(optionalInteger(body, "limit", 10), 0), MAX_MISSING_EVENTS);
      const minDepth = optionalInteger(body, "min_depth", 0);
      const info = await deps.access.assertServerInRoom(req.origin, roomId);
      const inRoom = (e: StoredEvent | undefined): e is StoredEvent =>
        e !== undefined && e.roomId === roomId && e.rejected === undefined;
      const seen = new Set<string>([...earliest, ...latest]);
      let front = (await deps.events.getMany(latest.filter((id) => !earliest.includes(id)))).filter(inRoom);
      const out: StoredEvent[] = [];
      while (front.length > 0 && out.length < limit) {
        const next: string[] = [];
        for (const ev of front) {
          for (const id of prevEventIds(ev.pdu)) {
            if (seen.has(id)) continue;
            seen.add(id);
            next.push(id);
          }
        }
        const prevs = (await deps.events.getMany(next)).filter(
          (e): e is StoredEvent => inRoom(e) && e.depth >= minDepth,
        );
        for (const ev of prevs) if (out.length < limit) out.push(ev);
        front = prevs;
      }
      out.reverse();
      return ok({ events: await deps.access.pdusFor(req.origin, out, info.roomVersion) });
    },
  };
}

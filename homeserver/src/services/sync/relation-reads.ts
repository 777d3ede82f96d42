/**
 * Reading relationships (Client-Server API, "Relationships": `GET /rooms/{roomId}/relations/{eventId}`
 * and "Threading": `GET /rooms/{roomId}/threads`). Both serve only what the user may see: the parent
 * (or thread root) must be visible, and so must each child. Pagination tokens are stream positions
 * (`r<stream>` for relations, `th<stream>` for threads).
 */
import { MatrixError } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RelatedEvent, RelationStore } from "../../storage/relations.js";
import type { HistoryVisibility, RoomViewer } from "../visibility/history-visibility.js";
import type { Reader } from "./room-reads.js";

type Json = Record<string, unknown>;

/** Most children looked at beyond the limit (filtered out by event type or visibility). */
const MAX_EXTRA_SCAN = 500;

/** What the relationship reads need. */
export interface RelationReadDeps {
  readonly events: EventStore;
  readonly relations: RelationStore;
  readonly visibility: HistoryVisibility;
  /** Events in client format, as the user sees them (bundled aggregations included). */
  readonly serialize: (
    events: readonly StoredEvent[],
    opts: { userId: string; deviceId?: string },
  ) => Promise<Json[]>;
}

/** `GET /relations` parameters. */
export interface RelationsRequest {
  readonly relType?: string;
  readonly eventType?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly dir: "b" | "f";
  readonly recurse?: boolean;
}

function parseToken(token: string | undefined, prefix: string, name: string): number | undefined {
  if (token === undefined) return undefined;
  const m = new RegExp(`^${prefix}(\\d{1,16})$`).exec(token);
  if (!m) throw new MatrixError("M_INVALID_PARAM", `Invalid '${name}' token`);
  return Number(m[1]);
}

/** Serves `/relations` and `/threads`. */
export class RelationReadService {
  constructor(private readonly deps: RelationReadDeps) {}

  async #visible(viewer: RoomViewer, roomId: string, eventId: string): Promise<StoredEvent | undefined> {
    const ev = await this.deps.events.get(eventId);
    return ev && ev.roomId === roomId && !ev.rejected && (await viewer.canSee(ev)) ? ev : undefined;
  }

  /** `GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]`. */
  async relations(user: Reader, roomId: string, parentId: string, req: RelationsRequest): Promise<Json> {
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    if (!(await this.#visible(viewer, roomId, parentId)))
      throw new MatrixError("M_NOT_FOUND", "Event not found.");
    const from = parseToken(req.from, "r", "from");
    const to = parseToken(req.to, "r", "to");
    const reverse = req.dir === "b";
    const wanted = (c: RelatedEvent) =>
      (req.eventType === undefined || c.type === req.eventType) &&
      (to === undefined || (reverse ? c.stream > to : c.stream < to));
    const out: StoredEvent[] = [];
    let cursor = from;
    let scanned = 0;
    let more = false;
    for (;;) {
      const batch = await this.deps.relations.children(parentId, {
        ...(req.relType ? { relType: req.relType } : {}),
        reverse,
        ...(cursor !== undefined ? { from: cursor } : {}),
        limit: req.limit + 1,
      });
      for (const c of batch) {
        cursor = c.stream;
        scanned++;
        if (!wanted(c)) continue;
        const ev = await this.#visible(viewer, roomId, c.eventId);
        if (!ev) continue;
        if (out.length === req.limit) {
          more = true;
          break;
        }
        out.push(ev);
      }
      if (more || batch.length < req.limit + 1 || scanned >= req.limit + MAX_EXTRA_SCAN) break;
    }
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    const last = out.at(-1);
    return {
      chunk: await this.deps.serialize(out, opts),
      ...(more && last ? { next_batch: `r${last.stream}` } : {}),
      ...(req.from ? { prev_batch: req.from } : {}),
      // Children of children are not followed: the depth we went to is 1.
      ...(req.recurse ? { recursion_depth: 1 } : {}),
    };
  }

  /**
   * `GET /rooms/{roomId}/threads`: thread roots the user can see, the most recently active first;
   * `participated`: only threads the user started or replied in.
   */
  async threads(
    user: Reader,
    roomId: string,
    req: { include: "all" | "participated"; from?: string; limit: number },
  ): Promise<Json> {
    const viewer = this.deps.visibility.viewer(user.userId, roomId);
    const before = parseToken(req.from, "th", "from");
    const active: Array<{ root: StoredEvent; latest: number }> = [];
    for (const rootId of await this.deps.relations.threadRoots(roomId)) {
      const replies = await this.deps.relations.children(rootId, { relType: "m.thread" });
      const latest = replies.at(-1);
      if (!latest || (before !== undefined && latest.stream >= before)) continue;
      const root = await this.#visible(viewer, roomId, rootId);
      if (!root) continue;
      if (
        req.include === "participated" &&
        root.pdu.sender !== user.userId &&
        !replies.some((r) => r.sender === user.userId)
      ) {
        continue;
      }
      active.push({ root, latest: latest.stream });
    }
    active.sort((a, b) => b.latest - a.latest);
    const page = active.slice(0, req.limit);
    const opts = { userId: user.userId, ...(user.deviceId ? { deviceId: user.deviceId } : {}) };
    return {
      chunk: await this.deps.serialize(
        page.map((t) => t.root),
        opts,
      ),
      ...(active.length > req.limit ? { next_batch: `th${page.at(-1)!.latest}` } : {}),
    };
  }
}

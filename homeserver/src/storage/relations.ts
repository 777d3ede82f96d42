/**
 * Event relationships (Client-Server API, "Forming relationships between events", "Threading"):
 * - `relations`: (parent event, rel_type, child stream position, child event) → the child's type,
 *   sender and timestamp, for `/relations` pages and bundled aggregations without loading children;
 * - `thread_roots`: (room, root event) → "" for `/threads`.
 * Written with the child event by the pipeline; a child's entry is deleted when it is redacted
 * (redaction removes `m.relates_to`).
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, MAX, parts, prefixRange } from "./keys.js";

/** What `m.relates_to` says of an event, when it relates to another. */
export interface Relation {
  readonly relType: string;
  readonly parentId: string;
}

/** An indexed child. */
export interface RelatedEvent {
  readonly eventId: string;
  readonly relType: string;
  readonly stream: number;
  readonly type: string;
  readonly sender: string;
  readonly ts: number;
}

interface RelationValue {
  readonly type: string;
  readonly sender: string;
  readonly ts: number;
}

/** The relation an event's content declares, if any (`m.relates_to` with `rel_type` and `event_id`). */
export function relationOf(content: unknown): Relation | undefined {
  const rel = (content as { "m.relates_to"?: unknown } | undefined)?.["m.relates_to"];
  if (typeof rel !== "object" || rel === null) return undefined;
  const { rel_type: relType, event_id: parentId } = rel as { rel_type?: unknown; event_id?: unknown };
  if (typeof relType !== "string" || typeof parentId !== "string" || relType === "" || parentId === "")
    return undefined;
  return { relType, parentId };
}

/** Reads and writes the relationship indexes. */
export class RelationStore {
  readonly #relations: Keyspace<RelationValue>;
  readonly #threads: Keyspace<string>;
  /**
   * The events that have (or had) children, so that formatting an event without any, nearly all of
   * them, costs no index read. Loaded by {@link load}; kept up to date by {@link insertOps}.
   */
  readonly #parents = new Set<string>();

  constructor(db: Database) {
    this.#relations = db.keyspace("relations");
    this.#threads = db.keyspace("thread_roots");
  }

  /** Loads the set of parents (call once at start). */
  async load(): Promise<void> {
    let last = "";
    for await (const k of this.#relations.keys()) {
      const parent = parts(k)[0]!;
      if (parent !== last) this.#parents.add(parent);
      last = parent;
    }
  }

  /** Whether an event may have children (false: it surely has none). */
  mayHaveChildren(eventId: string): boolean {
    return this.#parents.has(eventId);
  }

  /** The ops indexing a child event (call for timeline events that declare a relation). */
  insertOps(
    roomId: string,
    child: { eventId: string; stream: number; type: string; sender: string; ts: number },
    relation: Relation,
  ): WriteOp[] {
    this.#parents.add(relation.parentId);
    const ops = [
      put(this.#relations, key(relation.parentId, relation.relType, child.stream, child.eventId), {
        type: child.type,
        sender: child.sender,
        ts: child.ts,
      }),
    ];
    if (relation.relType === "m.thread") ops.push(put(this.#threads, key(roomId, relation.parentId), ""));
    return ops;
  }

  /** The ops removing a redacted child from the index. */
  deleteOps(child: { eventId: string; stream: number }, relation: Relation): WriteOp[] {
    return [del(this.#relations, key(relation.parentId, relation.relType, child.stream, child.eventId))];
  }

  /**
   * Children of `parentId` (of `relType` when given), in stream order (descending when `reverse`),
   * strictly after/before the stream position `from` when given, at most `limit`.
   */
  async children(
    parentId: string,
    options: { relType?: string; reverse?: boolean; from?: number; limit?: number } = {},
  ): Promise<RelatedEvent[]> {
    const out: RelatedEvent[] = [];
    const range = options.relType ? prefixRange(parentId, options.relType) : prefixRange(parentId);
    const bounds: { gt?: string; lt?: string } = { ...range };
    // With a rel_type the stream is the next key part, so `from` bounds the range directly.
    if (options.from !== undefined && options.relType) {
      if (options.reverse) bounds.lt = key(parentId, options.relType, options.from);
      else bounds.gt = key(parentId, options.relType, options.from, MAX);
    }
    for await (const [k, v] of this.#relations.iterator({
      ...bounds,
      ...(options.reverse ? { reverse: true } : {}),
      ...(options.limit !== undefined && options.relType ? { limit: options.limit } : {}),
    })) {
      const [, relType, stream, eventId] = parts(k);
      out.push({ eventId: eventId!, relType: relType!, stream: Number(stream), ...v });
    }
    if (options.relType) return out;
    // Across rel_types the keys are grouped by type: order by stream here.
    out.sort((a, b) => (options.reverse ? b.stream - a.stream : a.stream - b.stream));
    const from = options.from;
    const paged =
      from === undefined ? out : out.filter((c) => (options.reverse ? c.stream < from : c.stream > from));
    return options.limit !== undefined ? paged.slice(0, options.limit) : paged;
  }

  /** The roots of a room's threads. */
  async threadRoots(roomId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.#threads.keys(prefixRange(roomId))) out.push(parts(k)[1]!);
    return out;
  }
}

/**
 * The full-text index of room events for `/search` (Client-Server API, "Server Side Search"):
 * `search_index`: (room, word, stream position, event) → the field the word came from
 * (`content.body`, `content.name` or `content.topic`). Words are lower-cased runs of letters and
 * digits; a search word matches every indexed word it is a prefix of. Encrypted events have nothing
 * to index. Written with the event by the pipeline; removed when the event is redacted.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, MAX, parts, prefixRange } from "./keys.js";

/** The searchable fields per event type. */
const FIELDS: Readonly<Record<string, "content.body" | "content.name" | "content.topic">> = {
  "m.room.message": "content.body",
  "m.room.name": "content.name",
  "m.room.topic": "content.topic",
};

/** Most words indexed per event; longer words are cut. */
const MAX_WORDS = 200;
const MAX_WORD = 64;

/** The words of a text, as indexed and searched. */
export function searchWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.map((w) => w.slice(0, MAX_WORD)))].slice(0, MAX_WORDS);
}

/** The searchable field and its words of an event, if it has any. */
export function searchableText(
  type: string,
  content: unknown,
): { field: string; words: string[] } | undefined {
  const field = FIELDS[type];
  if (!field) return undefined;
  const value = (content as Record<string, unknown> | undefined)?.[field.slice("content.".length)];
  if (typeof value !== "string" || value === "") return undefined;
  return { field, words: searchWords(value) };
}

/** A hit of one search word. */
export interface SearchHit {
  readonly eventId: string;
  readonly stream: number;
  readonly field: string;
}

/** Reads and writes the search index. */
export class SearchIndex {
  readonly #index: Keyspace<string>;

  constructor(db: Database) {
    this.#index = db.keyspace("search_index");
  }

  /** The ops indexing an event (none when it has no searchable text). */
  insertOps(
    roomId: string,
    ev: { eventId: string; stream: number; type: string; content: unknown },
  ): WriteOp[] {
    const text = searchableText(ev.type, ev.content);
    if (!text) return [];
    return text.words.map((w) => put(this.#index, key(roomId, w, ev.stream, ev.eventId), text.field));
  }

  /** The ops removing an event from the index (after its redaction). */
  deleteOps(
    roomId: string,
    ev: { eventId: string; stream: number; type: string; content: unknown },
  ): WriteOp[] {
    const text = searchableText(ev.type, ev.content);
    if (!text) return [];
    return text.words.map((w) => del(this.#index, key(roomId, w, ev.stream, ev.eventId)));
  }

  /** The events of a room with a word starting with `prefix`, at most `limit`. */
  async hits(roomId: string, prefix: string, limit: number): Promise<SearchHit[]> {
    const range = prefixRange(roomId);
    const out: SearchHit[] = [];
    for await (const [k, field] of this.#index.iterator({
      gte: key(roomId, prefix),
      lt: key(roomId, `${prefix}${MAX}`),
      limit,
    })) {
      if (k >= range.lt) break;
      const [, , stream, eventId] = parts(k);
      out.push({ eventId: eventId!, stream: Number(stream), field });
    }
    return out;
  }
}

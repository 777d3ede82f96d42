/**
 * Event access for state resolution. State resolution never touches storage: it reads events through
 * a caller-supplied {@link FetchEvent} callback, and this module memoises what the callback returns for
 * the duration of one resolution, fetching in batches so a synchronous store costs no `await` per event.
 */
import { authEventIds } from "../events/types.js";

/**
 * Fetches one event by ID: the event as a plain JSON object, or `undefined` if it is not known.
 * May answer synchronously or with a promise.
 */
export type FetchEvent = (eventId: string) => object | undefined | Promise<object | undefined>;

/**
 * The fields of a room event that state resolution reads. Events stay the plain objects the caller
 * returned; this type only names what is read.
 */
export interface StateResEvent {
  readonly type?: unknown;
  readonly state_key?: unknown;
  readonly sender?: unknown;
  readonly content?: unknown;
  readonly origin_server_ts?: unknown;
  readonly depth?: unknown;
  readonly room_id?: unknown;
  readonly auth_events?: unknown;
  readonly prev_events?: unknown;
  readonly event_id?: unknown;
}

/** A missing event: distinct from "not fetched yet" in the cache. */
const MISSING = null;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

/**
 * A memoising view of a {@link FetchEvent} callback.
 *
 * Events are identified by the ID they were requested under: if a fetched event carries no
 * `event_id` (v3+ events need not), the requested ID is its ID. Recomputing reference hashes here
 * would cost a canonical-JSON encoding and a SHA-256 per event for no gain, since the requested ID is
 * what every `auth_events`/`prev_events` reference and state map names.
 */
export class EventLoader {
  readonly #fetch: FetchEvent;
  readonly #cache = new Map<string, StateResEvent | typeof MISSING>();
  readonly #authIds = new Map<string, readonly string[]>();
  readonly #inFlight = new Map<string, Promise<void>>();

  /** Wraps `fetchEvent`; nothing is fetched until asked for. */
  constructor(fetchEvent: FetchEvent) {
    this.#fetch = fetchEvent;
  }

  /**
   * Fetches every ID in `ids` not fetched yet. Synchronous answers are stored at once; promised ones
   * are awaited together. Never throws for a missing event.
   */
  async load(ids: Iterable<string>): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const id of ids) {
      if (this.#cache.has(id)) continue;
      const inFlight = this.#inFlight.get(id);
      if (inFlight) {
        pending.push(inFlight);
        continue;
      }
      const answer = this.#fetch(id);
      if (isThenable(answer)) {
        const promise = Promise.resolve(answer).then((event) => {
          this.#cache.set(id, toEvent(event));
          this.#inFlight.delete(id);
        });
        this.#inFlight.set(id, promise);
        pending.push(promise);
      } else {
        this.#cache.set(id, toEvent(answer));
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  /** The event with this ID if it was loaded and exists; `undefined` otherwise. */
  get(id: string): StateResEvent | undefined {
    return this.#cache.get(id) ?? undefined;
  }

  /** Whether `id` was loaded and found. */
  has(id: string): boolean {
    return (this.#cache.get(id) ?? undefined) !== undefined;
  }

  /** The `auth_events` IDs of a loaded event (memoised); empty for a missing one. */
  authIds(id: string): readonly string[] {
    let ids = this.#authIds.get(id);
    if (ids === undefined) {
      const event = this.get(id);
      ids = event ? authEventIds(event) : [];
      this.#authIds.set(id, ids);
    }
    return ids;
  }

  /** Loads the `auth_events` of every (loaded) event in `ids`. */
  async loadAuthEvents(ids: Iterable<string>): Promise<void> {
    const wanted: string[] = [];
    for (const id of ids) for (const a of this.authIds(id)) if (!this.#cache.has(a)) wanted.push(a);
    if (wanted.length > 0) await this.load(wanted);
  }
}

function toEvent(value: unknown): StateResEvent | typeof MISSING {
  return typeof value === "object" && value !== null ? (value as StateResEvent) : MISSING;
}

/** The `(type, state_key)` of a state event, or `undefined` if the event is not a state event. */
export function stateKeyOf(event: StateResEvent): [type: string, stateKey: string] | undefined {
  return typeof event.type === "string" && typeof event.state_key === "string"
    ? [event.type, event.state_key]
    : undefined;
}

/** `origin_server_ts` as a number (0 if absent or malformed, so ordering stays total). */
export function originServerTs(event: StateResEvent): number {
  const ts = event.origin_server_ts;
  return typeof ts === "number" && Number.isFinite(ts) ? ts : 0;
}

/** Compares strings by Unicode code point, as the spec's "x's event_id is less than y's" means. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order equals code-point order unless a surrogate meets a code unit at or above U+E000.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

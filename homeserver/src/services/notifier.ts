/**
 * The notifier: services publish "stream X advanced to position P for these users/rooms"; waiting
 * syncs (long-polls) wake when something they care about changes, and subscribers (the WebSocket sync
 * streams, which index their own interest) see every update. A publish/subscribe seam, so a broker
 * can replace it when the server scales out.
 */

/** The streams a sync token tracks. */
export type StreamName =
  | "events"
  | "account_data"
  | "to_device"
  | "receipts"
  | "typing"
  | "presence"
  | "device_lists";

/** What changed. */
export interface StreamUpdate {
  readonly stream: StreamName;
  readonly position: number;
  /** Users affected directly (account data, to-device, invites). */
  readonly users?: readonly string[];
  /** Rooms affected: everyone in them cares. */
  readonly rooms?: readonly string[];
}

/** A waiter's interest: its user and the rooms it is in. */
export interface Interest {
  readonly userId: string;
  readonly rooms: ReadonlySet<string>;
}

interface Waiter {
  readonly interest: Interest;
  readonly wake: (update: StreamUpdate | undefined) => void;
}

/** In-process notifier. */
export class Notifier {
  readonly #waiters = new Set<Waiter>();
  readonly #subscribers = new Set<(update: StreamUpdate) => void>();
  readonly #positions = new Map<StreamName, number>();
  #stopped = false;

  /** The latest position published for a stream. */
  position(stream: StreamName): number {
    return this.#positions.get(stream) ?? 0;
  }

  /** Sets a stream's position without waking anyone (at start-up, from storage). */
  setPosition(stream: StreamName, position: number): void {
    this.#positions.set(stream, position);
  }

  /** Publishes an update: wakes every waiter it concerns. */
  notify(update: StreamUpdate): void {
    if (update.position > this.position(update.stream)) this.#positions.set(update.stream, update.position);
    for (const w of this.#waiters) {
      const concerned =
        update.users?.includes(w.interest.userId) ||
        update.rooms?.some((r) => w.interest.rooms.has(r)) ||
        false;
      if (concerned) w.wake(update);
    }
    for (const s of this.#subscribers) s(update);
  }

  /**
   * Calls `listener` with every update from now on, until the returned function is called or the
   * notifier stops. For consumers that keep many waiting parties and index them themselves.
   */
  subscribe(listener: (update: StreamUpdate) => void): () => void {
    if (this.#stopped) return () => {};
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /**
   * Waits until an update concerns `interest`, `timeoutMs` passes, `signal` aborts, or the notifier
   * stops; resolves with the update, or undefined on timeout/abort/stop.
   */
  wait(interest: Interest, timeoutMs: number, signal?: AbortSignal): Promise<StreamUpdate | undefined> {
    if (this.#stopped || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        interest,
        wake: (update) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          this.#waiters.delete(waiter);
          resolve(update);
        },
      };
      const onAbort = () => waiter.wake(undefined);
      const timer = setTimeout(() => waiter.wake(undefined), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Number of waiting syncs (for metrics and tests). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Wakes every waiter and refuses new waits (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#subscribers.clear();
    for (const w of [...this.#waiters]) w.wake(undefined);
  }
}

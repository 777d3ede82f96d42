/**
 * Delivery queues for push notifications (Push Gateway API, "Homeserver behaviour": "If the endpoint
 * returns an HTTP error code, the homeserver SHOULD retry for a reasonable amount of time using
 * exponential backoff"). One queue per pusher, sent one item at a time in order, so a gateway that
 * fails delays only its own pushers' notifications, never another's. A failed item is retried after
 * a delay that doubles from `initialDelayMs` up to `maxDelayMs`, at most `maxAttempts` times, then
 * given up. A queue holds at most `maxPending` items: when more arrive while its gateway fails, the
 * oldest waiting one is dropped (the newest notification matters most), so memory stays bounded by
 * the number of pushers. Nothing is kept across restarts.
 */

/** The retry policy. */
export interface RetryPolicy {
  /** The delay before the first retry (doubling after each failure). */
  readonly initialDelayMs: number;
  /** The longest delay between two attempts. */
  readonly maxDelayMs: number;
  /** Attempts per item before it is given up (the first one included). */
  readonly maxAttempts: number;
  /** Items a queue holds at most (the one being sent included). */
  readonly maxPending: number;
}

/** 0.5 s, 1 s, 2 s … 5 min: twelve attempts over about 14 minutes; 20 notifications per pusher. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 300_000,
  maxAttempts: 12,
  maxPending: 20,
};

/** What happened to an item: sent (or to be dropped), or failed (to be retried). */
export type SendOutcome = "sent" | "failed";

/** What the queues report (for logs). */
export interface QueueEvents<T> {
  /** An item was given up after `attempts` failures. */
  gaveUp?(key: string, item: T, attempts: number): void;
  /** An item was dropped unsent because its queue was full. */
  dropped?(key: string, item: T): void;
}

interface Queue<T> {
  readonly items: T[];
  /** The item being sent or waiting for its retry. */
  current: T | undefined;
  /** While waiting for a retry: the timer, and what ends the wait early (the queue closing). */
  timer: ReturnType<typeof setTimeout> | undefined;
  wake: (() => void) | undefined;
  closed: boolean;
}

/** Per-key FIFO queues, each drained by one sender with backoff. */
export class DeliveryQueues<T> {
  readonly #queues = new Map<string, Queue<T>>();
  readonly #policy: RetryPolicy;
  #stopped = false;

  constructor(
    private readonly send: (key: string, item: T) => Promise<SendOutcome>,
    policy: Partial<RetryPolicy> = {},
    private readonly events: QueueEvents<T> = {},
  ) {
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  /** Queues `item` for `key`; sending starts at once unless the key's queue is busy. */
  push(key: string, item: T): void {
    if (this.#stopped) return;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { items: [], current: undefined, timer: undefined, wake: undefined, closed: false };
      this.#queues.set(key, queue);
    }
    queue.items.push(item);
    if (queue.items.length > this.#policy.maxPending) {
      // The oldest item not being sent.
      const index = queue.items[0] === queue.current ? 1 : 0;
      const [dropped] = queue.items.splice(index, 1);
      this.events.dropped?.(key, dropped as T);
    }
    if (!queue.current) void this.#drain(key, queue);
  }

  /** Forgets a key's queue (its pusher was removed): what is waiting is not sent. */
  drop(key: string): void {
    const queue = this.#queues.get(key);
    if (!queue) return;
    this.#close(queue);
    this.#queues.delete(key);
  }

  /** Items waiting for `key` (the one being sent included). */
  pending(key: string): number {
    return this.#queues.get(key)?.items.length ?? 0;
  }

  /** Stops every queue: timers are cleared and nothing more is sent. */
  stop(): void {
    this.#stopped = true;
    for (const queue of this.#queues.values()) this.#close(queue);
    this.#queues.clear();
  }

  #close(queue: Queue<T>): void {
    queue.closed = true;
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    queue.wake?.();
    queue.items.length = 0;
  }

  async #drain(key: string, queue: Queue<T>): Promise<void> {
    while (!queue.closed && queue.items.length > 0) {
      const item = queue.items[0] as T;
      queue.current = item;
      for (let attempt = 1; ; attempt++) {
        let outcome: SendOutcome;
        try {
          outcome = await this.send(key, item);
        } catch {
          outcome = "failed";
        }
        if (queue.closed || outcome === "sent") break;
        if (attempt >= this.#policy.maxAttempts) {
          this.events.gaveUp?.(key, item, attempt);
          break;
        }
        const delay = Math.min(this.#policy.initialDelayMs * 2 ** (attempt - 1), this.#policy.maxDelayMs);
        await new Promise<void>((resolve) => {
          queue.wake = resolve;
          queue.timer = setTimeout(resolve, delay);
          queue.timer.unref?.();
        });
        queue.timer = undefined;
        queue.wake = undefined;
        if (queue.closed) break;
      }
      const index = queue.items.indexOf(item);
      if (index >= 0) queue.items.splice(index, 1);
      queue.current = undefined;
    }
    // An emptied queue is forgotten (a later push makes a new one).
    if (!queue.closed && queue.items.length === 0 && this.#queues.get(key) === queue)
      this.#queues.delete(key);
  }
}

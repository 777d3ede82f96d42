/**
 * Exponential backoff with jitter, for reconnecting: each failure doubles the ceiling (from
 * `initialMs` up to `maxMs`) and the wait is drawn uniformly from the upper half of it ("equal
 * jitter"), so many clients cut off together do not come back in step, yet none retries at once.
 */

/** Backoff bounds. */
export interface BackoffOptions {
  /** The first delay's ceiling (default 500 ms). */
  readonly initialMs?: number;
  /** The largest ceiling (default 30 s). */
  readonly maxMs?: number;
}

/** Delays for successive attempts; `reset()` after a success. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  #attempt = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
  }

  /** Failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt (and counts this failure). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** Starts over from `initialMs`. */
  reset(): void {
    this.#attempt = 0;
  }
}

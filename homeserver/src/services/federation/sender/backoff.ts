/**
 * Retry delays for a destination that failed: exponential from `initialMs`, doubling per consecutive
 * failure, capped at `maxMs`, with multiplicative jitter so that many senders do not retry in step.
 *
 * The cap is deliberately modest (10 minutes by default): a server that was down for days is retried
 * every few minutes and catches up soon after it returns, with no cliff after which we stop trying.
 * Any request from the destination resets the delay at once (`markReachable`).
 */

/** Backoff parameters. */
export interface BackoffPolicy {
  /** Delay after the first failure (ms). */
  readonly initialMs: number;
  /** Largest delay (ms). */
  readonly maxMs: number;
  /** Relative jitter: the delay is scaled by a factor in [1 − jitter, 1 + jitter). */
  readonly jitter: number;
}

/** 1 s doubling to 10 minutes, ±20 %. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 600_000, jitter: 0.2 };

/**
 * The delay before the next attempt after `failures` consecutive failures (≥ 1); `random` returns a
 * number in [0, 1). Never exceeds `maxMs` × (1 + jitter).
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.max(0, Math.round(base * factor));
}

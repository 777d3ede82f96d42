/**
 * Token-bucket rate limits per (limit, requester). `M_LIMIT_EXCEEDED` with `retry_after_ms` when a
 * bucket is empty.
 */
import { MatrixError } from "@hearth/federation";
import type { RateLimit } from "../config/config.js";

/** The limits the server applies. */
export type RateLimitName = "login" | "registration" | "message";

interface Bucket {
  tokens: number;
  updated: number;
}

/** Rate limiter over in-memory token buckets; a `undefined` config disables it. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limits: Readonly<Record<RateLimitName, RateLimit>> | undefined,
    readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `who` from limit `name`, or throws `M_LIMIT_EXCEEDED`. */
  take(name: RateLimitName, who: string): void {
    const limit = this.limits?.[name];
    if (!limit) return;
    const id = `${name}\u0000${who}`;
    const now = this.now();
    const bucket = this.#buckets.get(id) ?? { tokens: limit.burst, updated: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updated) / 1000) * limit.perSecond);
    bucket.updated = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(id, bucket);
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / limit.perSecond) * 1000);
      throw new MatrixError("M_LIMIT_EXCEEDED", "Too many requests", { retry_after_ms: retryAfterMs });
    }
    bucket.tokens -= 1;
    this.#buckets.set(id, bucket);
    if (this.#buckets.size > 100_000) this.#sweep(now);
  }

  #sweep(now: number): void {
    for (const [id, b] of this.#buckets) if (now - b.updated > 3_600_000) this.#buckets.delete(id);
  }
}

/**
 * Whether the server can do its job: answer requests and write durably. `GET /health` asks here, and
 * so does the Docker health check. Storage is probed with a real synced write (at most one every few
 * seconds), so a disk that failed while the server was idle is noticed too.
 */
import type { Database, StorageHealth } from "../../storage/db.js";
import type { HealthProbeStore } from "../../storage/health.js";

/** What the health check reports. */
export type Health =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly since: number;
      readonly restartRequired: boolean;
    };

/** What the service needs. */
export interface HealthDeps {
  readonly db: Database;
  readonly store: HealthProbeStore;
  readonly now: () => number;
}

/** A successful probe is reused this long (ms). */
const PROBE_INTERVAL_MS = 5_000;
/** A probe write that takes longer than this counts as failed (a hung disk). */
const PROBE_TIMEOUT_MS = 5_000;

/** Health checks. */
export class HealthService {
  #lastProbe: { at: number; result: Health } | undefined;
  #running: Promise<Health> | undefined;

  constructor(private readonly deps: HealthDeps) {}

  /** The server's health: storage must take a synced write. */
  check(): Promise<Health> {
    const storage = this.deps.db.health();
    if (!storage.ok) return Promise.resolve(unhealthy(storage));
    const now = this.deps.now();
    if (this.#lastProbe && now - this.#lastProbe.at < PROBE_INTERVAL_MS) {
      return Promise.resolve(this.#lastProbe.result);
    }
    this.#running ??= this.#probe(now).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #probe(now: number): Promise<Health> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Health>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, reason: "storage did not answer", since: now, restartRequired: false }),
        PROBE_TIMEOUT_MS,
      );
    });
    const write = this.deps.db.write(this.deps.store.probeOps(now)).then(
      (): Health => ({ ok: true }),
      (): Health => {
        const storage = this.deps.db.health();
        return storage.ok
          ? { ok: false, reason: "a storage write failed", since: now, restartRequired: false }
          : unhealthy(storage);
      },
    );
    const result = await Promise.race([write, timeout]);
    clearTimeout(timer);
    // Only success is reused: a disk that recovers is seen at the next check.
    if (result.ok) this.#lastProbe = { at: now, result };
    return result;
  }
}

function unhealthy(storage: Exclude<StorageHealth, { ok: true }>): Health {
  return {
    ok: false,
    reason: `storage writes fail: ${storage.error}`,
    since: storage.since,
    restartRequired: storage.restartRequired,
  };
}

/** The `health_probe` keyspace: one key, rewritten by health checks to prove that writes work. */
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";

/** The probe record's keyspace. */
export class HealthProbeStore {
  readonly #probe: Keyspace<number>;

  constructor(db: Database) {
    this.#probe = db.keyspace<number>("health_probe");
  }

  /** The write that records a probe at `now`. */
  probeOps(now: number): WriteOp[] {
    return [put(this.#probe, "last", now)];
  }
}

/**
 * Content reports (Client-Server API, "Reporting content"): `reports`: (received time, random
 * suffix) → the report, for the server's administrators.
 */
import { randomBytes } from "node:crypto";
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";
import { key } from "./keys.js";

/** One report. */
export interface ContentReport {
  readonly user_id: string;
  readonly room_id: string;
  readonly event_id?: string;
  readonly reason?: string;
  readonly score?: number;
  readonly received_ts: number;
}

/** Writes and lists reports. */
export class ReportStore {
  readonly #reports: Keyspace<ContentReport>;

  constructor(db: Database) {
    this.#reports = db.keyspace("reports");
  }

  addOps(report: ContentReport): WriteOp[] {
    return [put(this.#reports, key(report.received_ts, randomBytes(6).toString("hex")), report)];
  }

  /** Every report, oldest first (for administrators' tools). */
  async all(): Promise<ContentReport[]> {
    const out: ContentReport[] = [];
    for await (const r of this.#reports.values()) out.push(r);
    return out;
  }
}

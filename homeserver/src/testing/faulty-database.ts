/**
 * A database whose disk the test can break: while `fault.on`, every batch fails with LevelDB's IO
 * error; with `fault.sticky`, batches keep failing until LevelDB is reopened (as a failed sync leaves
 * LevelDB). `fault.reopened` counts reopens.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { Database, type DatabaseOptions } from "../storage/db.js";

/** The switch of a {@link faultyDatabase}. */
export interface Fault {
  on: boolean;
  sticky: boolean;
  reopened: number;
}

/** Opens a database in a new temporary directory, with a {@link Fault} switch. */
export async function faultyDatabase(
  options: DatabaseOptions = {},
): Promise<{ db: Database; dir: string; fault: Fault }> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-db-"));
  const level = new Level<string, unknown>(dir, { valueEncoding: "json" });
  await level.open();
  const fault: Fault = { on: false, sticky: false, reopened: 0 };
  const batch = level.batch.bind(level) as (...a: unknown[]) => Promise<void>;
  const open = level.open.bind(level) as (...a: unknown[]) => Promise<void>;
  let stuck = false;
  Object.assign(level, {
    batch(...args: unknown[]) {
      if (fault.on || stuck) {
        if (fault.sticky) stuck = true;
        const error = Object.assign(new Error("IO error: No space left on device"), {
          code: "LEVEL_IO_ERROR",
        });
        return Promise.reject(error);
      }
      return batch(...args);
    },
    open(...args: unknown[]) {
      fault.reopened++;
      if (!fault.on) stuck = false;
      return open(...args);
    },
  });
  return { db: Database.wrap(level, options), dir, fault };
}

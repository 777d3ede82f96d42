import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Database } from "../storage/db.js";
import { runCli } from "./cli.js";
import { recordClientUrl } from "./running-server.js";

let dir: string | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("hearth start", () => {
  it("says where its data is, and that another server holds it, instead of a stack trace", async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-start-"));
    const config = join(dir, "hearth.yaml");
    await writeFile(config, `data_dir: ${JSON.stringify(dir)}\nbind: "127.0.0.1:0"\nlog_level: silent\n`);
    const holder = await Database.open(join(dir, "db"));
    await recordClientUrl(dir, "http://127.0.0.1:8123");
    let out = "";
    let err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((t) => {
      out += String(t);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((t) => {
      err += String(t);
      return true;
    });
    try {
      expect(await runCli(["start", "--config", config])).toBe(1);
    } finally {
      await holder.close();
    }
    expect(out).toBe(`Hearth localhost: data directory ${dir}\n`);
    expect(err).toBe(
      `Another Hearth is running on the data directory ${dir} (at http://127.0.0.1:8123): stop it first, ` +
        "or give this one another data directory (HEARTH_DATA_DIR or data_dir).\n",
    );
  });
});

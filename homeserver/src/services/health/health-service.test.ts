import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { HealthProbeStore } from "../../storage/health.js";
import { faultyDatabase } from "../../testing/faulty-database.js";
import { HealthService } from "./health-service.js";

describe("HealthService", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("probes storage with a write: ok, then failing while the disk fails, then ok again", async () => {
    const { db, dir, fault } = await faultyDatabase();
    dirs.push(dir);
    let now = 1_000_000;
    const health = new HealthService({ db, store: new HealthProbeStore(db), now: () => now });
    expect(await health.check()).toEqual({ ok: true });
    // An idle server whose disk fails is noticed by the next probe (a successful one is reused 5 s).
    fault.on = true;
    expect((await health.check()).ok).toBe(true);
    now += 10_000;
    const failing = await health.check();
    expect(failing.ok).toBe(false);
    expect(failing.ok === false && failing.reason).toMatch(/No space/);
    fault.on = false;
    const deadline = Date.now() + 5_000;
    while (!(await health.check()).ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await health.check()).toEqual({ ok: true });
    await db.close();
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { faultyDatabase } from "../testing/faulty-database.js";
import { Database, del, put, StorageEncodeError, StorageUnavailableError } from "./db.js";
import { key, num, parts, prefixRange } from "./keys.js";

const dirs: string[] = [];
async function open(): Promise<{ db: Database; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-db-"));
  dirs.push(dir);
  return { db: await Database.open(dir), dir };
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("Database", () => {
  it("groups concurrent writes and makes each durable", async () => {
    const { db, dir } = await open();
    const ks = db.keyspace<{ n: number }>("items");
    await Promise.all(Array.from({ length: 500 }, (_, i) => db.write([put(ks, key("x", i), { n: i })])));
    await db.close();
    const again = await Database.open(dir);
    const ks2 = again.keyspace<{ n: number }>("items");
    const values: number[] = [];
    for await (const v of ks2.values(prefixRange("x"))) values.push(v.n);
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i));
    await again.close();
  });

  it("writes a batch atomically across keyspaces, with deletes", async () => {
    const { db } = await open();
    const a = db.keyspace<string>("a");
    const b = db.keyspace<string>("b");
    await db.write([put(a, "k", "1"), put(b, "k", "2")]);
    await db.write([del(a, "k"), put(b, "k", "3")]);
    expect(await a.get("k")).toBeUndefined();
    expect(await b.get("k")).toBe("3");
    await db.close();
    await expect(db.write([put(a, "k", "x")])).rejects.toThrow(/closed/);
  });
});

async function faulty() {
  const made = await faultyDatabase();
  dirs.push(made.dir);
  return made;
}

describe("Database failures", () => {
  it("refuses a value it cannot encode at once, in that write alone", async () => {
    const { db } = await open();
    const ks = db.keyspace<unknown>("items");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const bad of [10n, circular, deep]) {
      expect(() => db.write([put(ks, "bad", bad)])).toThrow(StorageEncodeError);
    }
    const ok = db.write([put(ks, "good", 1)]);
    await ok;
    expect(await ks.get("good")).toBe(1);
    expect(await ks.get("bad")).toBeUndefined();
    expect(db.health()).toEqual({ ok: true });
    await db.close();
  });

  it("fails only the batch the disk refuses, keeps its writes and writes them once the disk works", async () => {
    const { db, fault } = await faulty();
    const ks = db.keyspace<number>("items");
    await db.write([put(ks, "before", 1)]);
    fault.on = true;
    const during = await Promise.allSettled([db.write([put(ks, "a", 1)]), db.write([put(ks, "b", 2)])]);
    for (const r of during) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
      expect((r as PromiseRejectedResult).reason.status).toBe(503);
    }
    const health = db.health();
    expect(health.ok).toBe(false);
    expect(health.ok === false && health.error).toMatch(/No space/);
    // Later writes are tried (and refused while the disk fails), never blocked for good.
    await expect(db.write([put(ks, "c", 3)])).rejects.toBeInstanceOf(StorageUnavailableError);
    fault.on = false;
    await db.write([put(ks, "after", 4)]);
    expect(db.health()).toEqual({ ok: true });
    expect(await ks.getMany(["before", "a", "b", "c", "after"])).toEqual([1, 1, 2, 3, 4]);
    await db.close();
  });

  it("retries on its own, reopening LevelDB when the error is sticky, until health is ok again", async () => {
    const { db, fault } = await faulty();
    const ks = db.keyspace<number>("items");
    fault.on = true;
    fault.sticky = true;
    await expect(db.write([put(ks, "x", 1)])).rejects.toBeInstanceOf(StorageUnavailableError);
    await new Promise((r) => setTimeout(r, 200));
    expect(db.health().ok).toBe(false);
    fault.on = false;
    const deadline = Date.now() + 5_000;
    while (!db.health().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(db.health()).toEqual({ ok: true });
    expect(fault.reopened).toBeGreaterThan(0);
    expect(await ks.get("x")).toBe(1);
    await db.write([put(ks, "y", 2)]);
    expect(await ks.get("y")).toBe(2);
    await db.close();
  });

  it("durable() waits for earlier writes, including ones the disk refused", async () => {
    const { db, fault } = await faulty();
    const ks = db.keyspace<number>("items");
    await db.durable();
    fault.on = true;
    await expect(db.write([put(ks, "x", 1)])).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(db.durable()).rejects.toBeInstanceOf(StorageUnavailableError);
    fault.on = false;
    await db.durable();
    expect(await ks.get("x")).toBe(1);
    await db.close();
  });

  it("past the retention limit refuses writes until restart, and says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hearth-db-"));
    dirs.push(dir);
    const level = new Level<string, unknown>(dir, { valueEncoding: "json" });
    await level.open();
    Object.assign(level, {
      batch: () => Promise.reject(Object.assign(new Error("IO error"), { code: "LEVEL_IO_ERROR" })),
    });
    const db = Database.wrap(level, { maxRetainedBytes: 1000 });
    const ks = db.keyspace<string>("items");
    await expect(db.write([put(ks, "x", "y".repeat(2000))])).rejects.toBeInstanceOf(StorageUnavailableError);
    const health = db.health();
    expect(health.ok === false && health.restartRequired).toBe(true);
    await expect(db.write([put(ks, "z", "1")])).rejects.toBeInstanceOf(StorageUnavailableError);
    await db.close();
  });
});

describe("keys", () => {
  it("orders numbers numerically and round-trips parts", () => {
    expect(num(5) < num(10)).toBe(true);
    expect(parts(key("!room:x", 42))).toEqual(["!room:x", "0000000000000042"]);
    expect(() => num(-1)).toThrow(RangeError);
    const r = prefixRange("!a:x");
    expect(key("!a:x", 1) > r.gt && key("!a:x", 1) < r.lt).toBe(true);
    expect(key("!a:xy", 1) > r.gt && key("!a:xy", 1) < r.lt).toBe(false);
  });
});

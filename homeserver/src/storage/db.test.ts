import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Database, del, put } from "./db.js";
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

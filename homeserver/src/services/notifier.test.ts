import { describe, expect, it } from "vitest";
import { Notifier, type StreamUpdate } from "./notifier.js";

describe("Notifier", () => {
  it("wakes a waiter the update concerns, by user or room, and not others", async () => {
    const n = new Notifier();
    const byRoom = n.wait({ userId: "@a:x", rooms: new Set(["!r:x"]) }, 5_000);
    const other = n.wait({ userId: "@b:x", rooms: new Set(["!s:x"]) }, 50);
    n.notify({ stream: "events", position: 3, rooms: ["!r:x"] });
    expect(await byRoom).toMatchObject({ stream: "events", position: 3 });
    expect(await other).toBeUndefined();
    expect(n.position("events")).toBe(3);
  });

  it("gives subscribers every update until they unsubscribe or the notifier stops", () => {
    const n = new Notifier();
    const seen: StreamUpdate[] = [];
    const unsubscribe = n.subscribe((u) => seen.push(u));
    n.notify({ stream: "typing", position: 1, rooms: ["!r:x"] });
    n.notify({ stream: "to_device", position: 2, users: ["@a:x"] });
    unsubscribe();
    n.notify({ stream: "typing", position: 3, rooms: ["!r:x"] });
    expect(seen.map((u) => u.position)).toEqual([1, 2]);

    const later: StreamUpdate[] = [];
    n.subscribe((u) => later.push(u));
    n.stop();
    n.notify({ stream: "typing", position: 4 });
    expect(later).toEqual([]);
    n.subscribe((u) => later.push(u));
    n.notify({ stream: "typing", position: 5 });
    expect(later).toEqual([]);
  });
});

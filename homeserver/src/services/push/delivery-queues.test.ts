// Push delivery queues: retries with backoff, bounds, and independence of pushers.
import { describe, expect, it } from "vitest";
import { DeliveryQueues, type SendOutcome } from "./delivery-queues.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

describe("DeliveryQueues", () => {
  it("retries a failed item with doubling delays until it is sent, in order", async () => {
    const attempts: Array<{ item: string; at: number }> = [];
    let failures = 3;
    const start = Date.now();
    const queues = new DeliveryQueues<string>(
      async (_key, item) => {
        attempts.push({ item, at: Date.now() - start });
        if (item === "a" && failures-- > 0) return "failed";
        return "sent";
      },
      { initialDelayMs: 20, maxDelayMs: 1_000, maxAttempts: 10 },
    );
    queues.push("p", "a");
    queues.push("p", "b");
    await until(() => attempts.some((a) => a.item === "b"), "b");
    expect(attempts.map((a) => a.item)).toEqual(["a", "a", "a", "a", "b"]);
    // Waits of 20, 40 and 80 ms: the fourth attempt comes at least 140 ms after the first.
    expect(attempts[3]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(135);
    expect(queues.pending("p")).toBe(0);
    queues.stop();
  });

  it("gives an item up after maxAttempts, caps the delay, and goes on with the next", async () => {
    const sent: string[] = [];
    const gaveUp: string[] = [];
    const queues = new DeliveryQueues<string>(
      async (_key, item) => {
        sent.push(item);
        return item === "bad" ? "failed" : "sent";
      },
      { initialDelayMs: 1, maxDelayMs: 4, maxAttempts: 4 },
      { gaveUp: (_key, item, n) => gaveUp.push(`${item}/${n}`) },
    );
    queues.push("p", "bad");
    queues.push("p", "good");
    await until(() => sent.includes("good"), "good");
    expect(sent).toEqual(["bad", "bad", "bad", "bad", "good"]);
    expect(gaveUp).toEqual(["bad/4"]);
    queues.stop();
  });

  it("keeps at most maxPending items per pusher, dropping the oldest waiting one", async () => {
    const dropped: string[] = [];
    let release!: (o: SendOutcome) => void;
    const sent: string[] = [];
    const queues = new DeliveryQueues<string>(
      (_key, item) => {
        sent.push(item);
        return new Promise<SendOutcome>((r) => {
          release = r;
        });
      },
      { maxPending: 3 },
      { dropped: (_key, item) => dropped.push(item) },
    );
    for (const item of ["1", "2", "3", "4", "5"]) queues.push("p", item);
    // "1" is being sent; of the rest, the oldest are dropped.
    expect(queues.pending("p")).toBe(3);
    expect(dropped).toEqual(["2", "3"]);
    release("sent");
    await until(() => sent.length === 2, "the next send");
    expect(sent).toEqual(["1", "4"]);
    release("sent");
    await until(() => sent.length === 3, "the last send");
    release("sent");
    await until(() => queues.pending("p") === 0, "the queue to empty");
    expect(sent).toEqual(["1", "4", "5"]);
    queues.stop();
  });

  it("never holds up one pusher behind another's failing gateway", async () => {
    const sent: string[] = [];
    const queues = new DeliveryQueues<string>(
      async (key, item) => {
        if (key === "down") return "failed";
        sent.push(item);
        return "sent";
      },
      { initialDelayMs: 10_000 },
    );
    queues.push("down", "x");
    queues.push("up", "y");
    queues.push("up", "z");
    await until(() => sent.length === 2, "the healthy pusher's items");
    expect(sent).toEqual(["y", "z"]);
    expect(queues.pending("down")).toBe(1);
    // A removed pusher's queue is forgotten, waiting retry included.
    queues.drop("down");
    expect(queues.pending("down")).toBe(0);
    queues.stop();
    queues.push("up", "after stop");
    await tick(10);
    expect(sent).toEqual(["y", "z"]);
  });
});

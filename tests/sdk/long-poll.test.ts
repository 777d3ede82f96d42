/**
 * The SDK against a server without the stream (`HEARTH_WS_SYNC=off`) and with rate limits on:
 * it falls back to `/sync` long-polling and works the same; a local echo goes pending → sent →
 * synced, or failed when the request cannot reach the server, and a retry (also after a response
 * lost on the way back) sends it once, under the same transaction ID (the stream test does the same
 * with a real crash); `M_LIMIT_EXCEEDED` is retried
 * after `retry_after_ms`, a bounded number of times.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionError,
  type MatrixClient,
  MatrixError,
  type SendStatus,
} from "../../client-sdk/src/index.js";
import { Client } from "../support/matrix.js";
import { type HearthProcess, ProcessGroup } from "../support/process.js";
import { observe, repeated, testClient, until } from "./support.js";

const PASSWORD = "sdk-long-poll-test-pw";

describe("SDK over /sync long-polling (ws_sync off, rate limits on)", () => {
  const group = new ProcessGroup();
  let hs: HearthProcess;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let roomId: string;
  /** Counts the 429s of the logins below. */
  let limitedLogins = 0;
  const counting = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    if (res.status === 429) limitedLogins++;
    return res;
  };
  /**
   * What happens to alice's next send requests, one each: fail before reaching the server (`down`),
   * or reach it and lose the response on the way back (`lose-response`). (The SDK tries a GET or PUT
   * a second time at once when the connection fails, so a send fails only if both attempts do.)
   */
  const sendFates: Array<"down" | "lose-response"> = [];

  beforeAll(async () => {
    hs = await group.start({ env: { HEARTH_WS_SYNC: "off", HEARTH_RATE_LIMITS: "on" } });
    alice = testClient(hs.url, {
      fetch: async (url, init) => {
        const isSend = init?.method === "PUT" && url.includes("/send/");
        const fate = isSend ? sendFates.shift() : undefined;
        if (fate === "down") throw new TypeError("fetch failed (connection refused)");
        const res = await fetch(url, init);
        if (fate === "lose-response") {
          await res.arrayBuffer();
          throw new TypeError("fetch failed (response lost)");
        }
        return res;
      },
    });
    bob = testClient(hs.url);
    await alice.register({ username: "alice", password: PASSWORD });
    await bob.register({ username: "bob", password: PASSWORD });
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()]);
    await group.cleanup();
  });

  it("falls back to /sync when /versions does not offer the stream, and works", {
    timeout: 120_000,
  }, async () => {
    await Promise.all([alice.start(), bob.start()]);
    expect(alice.syncTransport).toBe("long-poll");
    expect(bob.syncTransport).toBe("long-poll");
    await alice.setDisplayName("Alice A.");
    await bob.setDisplayName("Bob B.");
    roomId = await alice.createRoom({ invite: [bob.userId!] });
    await bob.waitFor(() => bob.room(roomId)?.membership === "invite");
    // An invite without a name is named after the inviter (Hearth's stripped state has no member
    // event for them, so by user ID).
    expect(bob.room(roomId)!.name).toBe(alice.userId);
    await bob.joinRoom(roomId);
    await alice.waitFor(() => alice.room(roomId)?.member(bob.userId!)?.membership === "join");
    // No name, no alias: the heroes name it.
    expect(alice.room(roomId)!.name).toBe("Bob B.");

    const oa = observe(alice, roomId);
    const ob = observe(bob, roomId);
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) {
      const body = `poll ${i}`;
      bodies.push(body);
      await (i % 2 === 0 ? alice : bob).sendText(roomId, body);
    }
    await until(
      "both saw all",
      () => oa.bodies.length === bodies.length && ob.bodies.length === bodies.length,
    );
    expect(oa.bodies).toEqual(bodies);
    expect(ob.bodies).toEqual(bodies);
    expect(repeated(ob.syncedEventIds)).toEqual([]);
    expect([...oa.transports]).toEqual(["long-poll"]);
    expect(alice.room(roomId)!.lastMessage?.content.body).toBe("poll 9");
  });

  it("local echo: pending → sent → synced; failed when offline; one event after a retry", {
    timeout: 120_000,
  }, async () => {
    const statuses: Array<[SendStatus | undefined, boolean]> = [];
    const off = alice.on("localEcho", (item) => statuses.push([item.status, item.synced]));
    await alice.sendText(roomId, "echo me");
    await until("the server's copy", () => statuses.some(([, synced]) => synced));
    off();
    expect(statuses[0]).toEqual(["pending", false]);
    expect(statuses.at(-1)).toEqual(["sent", true]);

    sendFates.push("down", "down");
    await expect(alice.sendText(roomId, "sent while offline")).rejects.toBeInstanceOf(ConnectionError);
    const [failed] = alice.failedSends(roomId);
    expect(failed?.item.status).toBe("failed");
    expect(alice.room(roomId)!.timeline.at(-1)).toBe(failed!.item);
    const txnId = failed!.item.txnId!;
    const { eventId } = await alice.retry(roomId, txnId);
    await until("bob got it", () => bob.room(roomId)!.liveTimeline.byId(eventId) !== undefined);
    const item = alice.room(roomId)!.liveTimeline.byTxnId(txnId)!;
    await alice.waitFor(() => item.synced);
    expect(item.eventId).toBe(eventId);
    expect(item.event.unsigned?.transaction_id).toBe(txnId);

    // A retry after a lost response: the server had the event; the retry gets the same one back.
    await alice.stop();
    sendFates.push("lose-response", "lose-response");
    await expect(alice.sendText(roomId, "response lost")).rejects.toBeInstanceOf(ConnectionError);
    const [lost] = alice.failedSends(roomId);
    const again = await alice.retry(roomId, lost!.item.txnId!);
    expect(again.eventId).toMatch(/^\$/);
    // One lost response alone is recovered by the SDK's immediate second attempt.
    sendFates.push("lose-response");
    const recovered = await alice.sendText(roomId, "one response lost");
    await alice.start();

    // The room holds each of them once (read over raw HTTP, not through the SDK).
    const raw = new Client(hs.url, alice.accessToken);
    const res = await raw.get(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
    );
    const inRoom = (res.body.chunk as Array<{ content: { body?: string } }>).map((e) => e.content.body);
    expect(inRoom.filter((b) => b === "sent while offline")).toHaveLength(1);
    expect(inRoom.filter((b) => b === "response lost")).toHaveLength(1);
    expect(inRoom.filter((b) => b === "one response lost")).toHaveLength(1);
    for (const [body, eventId] of [
      ["response lost", again.eventId],
      ["one response lost", recovered.eventId],
    ]) {
      await alice.waitFor(() => alice.room(roomId)!.liveTimeline.byId(eventId!)?.synced === true);
      const mine = alice.room(roomId)!.timeline.filter((e) => e.content.body === body);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.eventId).toBe(eventId);
    }
  });

  it("retries M_LIMIT_EXCEEDED after retry_after_ms, a bounded number of times", {
    timeout: 120_000,
  }, async () => {
    // Logins are limited to a burst of 5, then one every 2 s (per address): log in 6 times at once.
    const sessions = await Promise.all(
      Array.from({ length: 6 }, () =>
        testClient(hs.url, { fetch: counting }).login({ username: "alice", password: PASSWORD }),
      ),
    );
    expect(limitedLogins).toBeGreaterThan(0);
    expect(new Set(sessions.map((s) => s.deviceId)).size).toBe(6);
    // With retries off, the error comes back as a typed MatrixError carrying retry_after_ms.
    const impatient = testClient(hs.url, { rateLimit: { maxRetries: 0 } });
    const error = await impatient.login({ username: "alice", password: PASSWORD }).catch((e) => e);
    expect(error).toBeInstanceOf(MatrixError);
    expect(error.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(error.status).toBe(429);
    expect(error.extra.retry_after_ms).toBeGreaterThan(0);
  });
});

/**
 * Durability under a crash: SIGKILL the server during a burst of concurrent sends; after a restart
 * every send that was acknowledged (HTTP 200) is in the room, exactly once, and retrying any send by
 * its transaction ID (acknowledged or not) never duplicates it.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  allMessages,
  Client,
  createRoom,
  expectStatus,
  joinRoom,
  register,
  sendText,
  type UserClient,
} from "./support/matrix.js";
import { ProcessGroup } from "./support/process.js";

const SENDERS = 10;
/** Each round kills the server at least this long after the burst began. */
const KILL_AFTER_MS = 500;
/** …and once at least this many sends were acknowledged (a slow machine still gets a real burst). */
const MIN_ACKED = 50;

interface Send {
  readonly sender: number;
  readonly roomId: string;
  readonly txnId: string;
  readonly body: string;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe("crash during a burst of sends", () => {
  const group = new ProcessGroup();
  afterAll(() => group.cleanup());

  it("keeps every acknowledged send across SIGKILL, exactly once", async () => {
    const hs = await group.start();
    const users: UserClient[] = [];
    for (let i = 0; i < SENDERS; i++) users.push(await register(hs.url, `sender${i}`, "pw-crash-test"));
    // One room all senders share (one room queue under contention) and one room per sender (many
    // rooms' writes grouped into the same commits).
    const shared = await createRoom(users[0]!, { preset: "public_chat" });
    for (const u of users.slice(1)) await joinRoom(u, shared);
    const own = await Promise.all(users.map((u) => createRoom(u, { preset: "private_chat" })));
    const roomIds = [shared, ...own];

    const acked = new Map<string, Send & { eventId: string }>();
    const unacked: Send[] = [];

    for (let round = 0; round < 2; round++) {
      const clients = users.map((u) => new Client(hs.url, u.accessToken));
      let killing = false;
      const unexpected: string[] = [];
      const burstStart = Date.now();
      const senders = clients.map(async (client, s) => {
        for (let k = 0; ; k++) {
          const send: Send = {
            sender: s,
            roomId: k % 2 === 0 ? shared : own[s]!,
            txnId: `r${round}-s${s}-k${k}`,
            body: `round ${round} sender ${s} message ${k}`,
          };
          try {
            const eventId = await sendText(client, send.roomId, send.body, send.txnId);
            acked.set(eventId, { ...send, eventId });
          } catch (e) {
            // The connection died with the server: not acknowledged. Any failure before is a bug.
            if (!killing) unexpected.push(`${send.txnId}: ${(e as Error).message}`);
            unacked.push(send);
            return;
          }
        }
      });
      const ackedBefore = acked.size;
      const deadline = burstStart + 15_000;
      while (
        Date.now() < deadline &&
        (Date.now() - burstStart < KILL_AFTER_MS || acked.size - ackedBefore < MIN_ACKED)
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      killing = true;
      await hs.kill();
      await Promise.all(senders);
      expect(unexpected).toEqual([]);
      expect(acked.size - ackedBefore).toBeGreaterThanOrEqual(MIN_ACKED);

      await hs.start();
    }

    const reader = new Client(hs.url, users[0]!.accessToken);
    // Every acknowledged event can be fetched, with the content that was sent.
    const missing: string[] = [];
    await pool([...acked.values()], 8, async (send) => {
      const res = await new Client(hs.url, users[send.sender]!.accessToken).get(
        `/_matrix/client/v3/rooms/${encodeURIComponent(send.roomId)}/event/${encodeURIComponent(send.eventId)}`,
      );
      if (res.status !== 200 || res.body.content?.body !== send.body)
        missing.push(`${send.eventId} → ${res.status}`);
    });
    expect(missing).toEqual([]);

    // Retrying with the same transaction ID returns the acknowledged event; retrying an unacknowledged
    // send stores it at most once.
    for (const send of [...acked.values()].slice(-SENDERS)) {
      const client = new Client(hs.url, users[send.sender]!.accessToken);
      expect(await sendText(client, send.roomId, send.body, send.txnId)).toBe(send.eventId);
    }
    for (const send of unacked) {
      const client = new Client(hs.url, users[send.sender]!.accessToken);
      await sendText(client, send.roomId, send.body, send.txnId);
    }

    // Each timeline has every acknowledged event and every retried body exactly once.
    for (const roomId of roomIds) {
      const history = await allMessages(
        new Client(hs.url, users[roomId === shared ? 0 : own.indexOf(roomId)]!.accessToken),
        roomId,
      );
      const ids = history.map((e) => e.event_id);
      expect(new Set(ids).size).toBe(ids.length);
      const bodies = history.map((e) => e.content.body as string);
      expect(new Set(bodies).size).toBe(bodies.length);
      const present = new Set(ids);
      const expectedIds = [...acked.values()].filter((s) => s.roomId === roomId).map((s) => s.eventId);
      expect(expectedIds.filter((id) => !present.has(id))).toEqual([]);
      const bodySet = new Set(bodies);
      expect(unacked.filter((s) => s.roomId === roomId && !bodySet.has(s.body)).map((s) => s.txnId)).toEqual(
        [],
      );
    }

    // The server still works normally after two crashes.
    const after = await sendText(reader, shared, "after the crashes", "after-1");
    expect(
      expectStatus(
        "event after",
        await reader.get(
          `/_matrix/client/v3/rooms/${encodeURIComponent(shared)}/event/${encodeURIComponent(after)}`,
        ),
      ).content,
    ).toMatchObject({ body: "after the crashes" });
    expect(await hs.stop()).toBe(0);
  }, 180_000);
});

import { afterAll, describe, expect, it } from "vitest";
import { registerUser, startTestServer, type TestServer } from "../../testing/harness.js";

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.destroy();
});

describe("event pipeline", () => {
  it("orders concurrent sends in one room into one chain, durable across a restart", async () => {
    const server = await startTestServer();
    servers.push(server);
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => registerUser(server, `p${i}`)));
    const roomId = (await users[0]!.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id;
    for (const u of users.slice(1)) await u.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`);
    const sent = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        users[i % 5]!.put(
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${i}`,
          {
            body: `m${i}`,
          },
        ),
      ),
    );
    expect(sent.every((r) => r.status === 200)).toBe(true);

    const check = async (s: TestServer) => {
      const { events, roomStore } = s.services;
      const timeline = await events.timeline(roomId, { limit: 10_000 });
      const messages = timeline.filter((e) => e.pdu.type === "m.room.message");
      expect(new Set(messages.map((e) => e.eventId))).toEqual(new Set(sent.map((r) => r.body.event_id)));
      for (let i = 1; i < timeline.length; i++) {
        const prev = timeline[i - 1]!;
        const ev = timeline[i]!;
        expect(ev.stream).toBeGreaterThan(prev.stream);
        expect(ev.pdu.prev_events).toEqual([prev.eventId]);
        expect(ev.depth).toBe(prev.depth + 1);
      }
      expect([...(await roomStore.extremities(roomId)).keys()]).toEqual([timeline.at(-1)!.eventId]);
    };
    await check(server);
    await server.close();
    const again = await startTestServer({}, server.dataDir);
    servers.push(again);
    await check(again);
  }, 60_000);
});

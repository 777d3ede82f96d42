// The deprecated event stream and initial syncs, through real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

describe("deprecated /events and /initialSync", () => {
  let server: TestServer;
  let alice: Client & { userId: string };
  let bob: Client & { userId: string };
  let roomId: string;
  const enc = encodeURIComponent;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await registerUser(server, "alice");
    bob = await registerUser(server, "bob");
    roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", name: "Old" })).body
      .room_id;
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, {
      msgtype: "m.text",
      body: "one",
    });
  });
  afterAll(() => server.destroy());

  it("GET /initialSync lists rooms with state, messages and an end token for /events", async () => {
    const res = await alice.get("/_matrix/client/r0/initialSync?limit=5");
    expect(res.status).toBe(200);
    expect(typeof res.body.end).toBe("string");
    expect(Array.isArray(res.body.presence)).toBe(true);
    const room = (res.body.rooms as Array<Record<string, any>>).find((r) => r.room_id === roomId)!;
    expect(room.membership).toBe("join");
    expect(room.messages.chunk.map((e: { content: { body?: string } }) => e.content.body)).toContain("one");
    expect(typeof room.messages.end).toBe("string");
    expect(room.state.some((e: { type: string }) => e.type === "m.room.create")).toBe(true);

    // /events from that token waits for the next event and returns it.
    const waiting = alice.get(`/_matrix/client/v3/events?from=${enc(res.body.end)}&timeout=5000`);
    await new Promise((r) => setTimeout(r, 100));
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t2`, {
      msgtype: "m.text",
      body: "two",
    });
    const events = await waiting;
    expect(events.status).toBe(200);
    expect(events.body.chunk.map((e: { content: { body?: string } }) => e.content.body)).toContain("two");
    expect(
      events.body.chunk.find((e: { content: { body?: string } }) => e.content.body === "two").room_id,
    ).toBe(roomId);
    // And from its end, nothing new: an empty chunk after the timeout.
    const quiet = await alice.get(`/_matrix/client/v3/events?from=${enc(events.body.end)}&timeout=0`);
    expect(quiet.body.chunk).toEqual([]);
    expect(quiet.body.end).toBe(events.body.end);
  });

  it("GET /rooms/{roomId}/initialSync and GET /events/{eventId}", async () => {
    const res = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/initialSync`);
    expect(res.status).toBe(200);
    expect(res.body.room_id).toBe(roomId);
    expect(res.body.membership).toBe("join");
    const chunk = res.body.messages.chunk as Array<{ event_id: string; content: { body?: string } }>;
    expect(chunk.at(-1)!.content.body).toBe("two");
    const one = await alice.get(`/_matrix/client/v3/events/${enc(chunk.at(-1)!.event_id)}`);
    expect(one.body.content.body).toBe("two");
    // Bob is not in the room (a shared-history room): he may not see it.
    expect((await bob.get(`/_matrix/client/v3/events/${enc(chunk.at(-1)!.event_id)}`)).status).toBe(404);
    expect((await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/initialSync`)).status).toBe(403);
    expect((await alice.get("/_matrix/client/v3/events/%24nope%3Alocalhost")).status).toBe(404);
  });

  it("peeks into a world_readable room with /events?room_id= without joining", async () => {
    const open = (
      await alice.post("/_matrix/client/v3/createRoom", {
        preset: "public_chat",
        initial_state: [
          {
            type: "m.room.history_visibility",
            state_key: "",
            content: { history_visibility: "world_readable" },
          },
        ],
      })
    ).body.room_id as string;
    const first = await bob.get(`/_matrix/client/v3/events?room_id=${enc(open)}&timeout=0`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const waiting = bob.get(
      `/_matrix/client/v3/events?room_id=${enc(open)}&from=${enc(first.body.end)}&timeout=5000`,
    );
    await new Promise((r) => setTimeout(r, 100));
    await alice.put(`/_matrix/client/v3/rooms/${enc(open)}/send/m.room.message/p1`, {
      msgtype: "m.text",
      body: "peek",
    });
    const seen = await waiting;
    expect(seen.body.chunk.map((e: { content: { body?: string } }) => e.content.body)).toEqual(["peek"]);
    // A room that is not world_readable cannot be peeked into.
    expect((await bob.get(`/_matrix/client/v3/events?room_id=${enc(roomId)}&timeout=0`)).status).toBe(403);
  });
});

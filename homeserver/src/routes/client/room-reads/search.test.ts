// Server-side search through HTTP ("Server Side Search").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
const enc = encodeURIComponent;
let n = 0;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

async function say(c: Client, roomId: string, body: string): Promise<string> {
  return (
    await c.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/s${n++}`, {
      msgtype: "m.text",
      body,
    })
  ).body.event_id as string;
}

const search = (c: Client, criteria: Record<string, unknown>, next?: string) =>
  c.post(`/_matrix/client/v3/search${next ? `?next_batch=${enc(next)}` : ""}`, {
    search_categories: { room_events: criteria },
  });

describe("search", () => {
  it("finds messages with every word (prefixes), newest first, in the user's rooms only", async () => {
    const shared = (
      await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", name: "Garden club" })
    ).body.room_id as string;
    await bob.post(`/_matrix/client/v3/join/${enc(shared)}`);
    const mine = (await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" })).body
      .room_id as string;
    const e1 = await say(alice, shared, "The tomatoes are ripening nicely");
    const e2 = await say(bob, shared, "Tomato soup tonight? Ripe ones only");
    await say(bob, shared, "unrelated chatter");
    const e3 = await say(alice, mine, "private note about tomatoes");

    const res = await search(alice, { search_term: "tomat RIPE" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const events = res.body.search_categories.room_events;
    expect(events.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([e2, e1]);
    expect(events.count).toBe(2);
    expect(events.highlights).toEqual(["tomat", "ripe"]);
    // Bob is not in Alice's private room.
    const bobs = await search(bob, { search_term: "tomatoes" });
    expect(
      bobs.body.search_categories.room_events.results.map(
        (r: { result: { event_id: string } }) => r.result.event_id,
      ),
    ).toEqual([e1]);
    const alices = await search(alice, { search_term: "tomatoes", order_by: "recent" });
    expect(
      alices.body.search_categories.room_events.results.map(
        (r: { result: { event_id: string } }) => r.result.event_id,
      ),
    ).toEqual([e3, e1]);
    // Room names are searchable; filters and keys apply.
    const named = await search(alice, { search_term: "garden", keys: ["content.name"] });
    expect(named.body.search_categories.room_events.results[0].result.type).toBe("m.room.name");
    const onlyBob = await search(alice, { search_term: "tomat", filter: { senders: [bob.userId] } });
    expect(
      onlyBob.body.search_categories.room_events.results.map(
        (r: { result: { event_id: string } }) => r.result.event_id,
      ),
    ).toEqual([e2]);
    const onlyMine = await search(alice, { search_term: "tomat", filter: { rooms: [mine] } });
    expect(onlyMine.body.search_categories.room_events.count).toBe(1);
  });

  it("pages results and gives context and profiles on request; redacted messages leave the index", async () => {
    const room = (await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" })).body
      .room_id as string;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await say(alice, room, `needle number ${i}`));
    const first = await search(alice, {
      search_term: "needle",
      filter: { limit: 2 },
      event_context: { before_limit: 1, after_limit: 1, include_profile: true },
    });
    const page1 = first.body.search_categories.room_events;
    expect(page1.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([
      ids[4],
      ids[3],
    ]);
    expect(page1.results[1].context.events_before.map((e: { event_id: string }) => e.event_id)).toEqual([
      ids[2],
    ]);
    expect(page1.results[1].context.events_after.map((e: { event_id: string }) => e.event_id)).toEqual([
      ids[4],
    ]);
    expect(page1.results[0].context.profile_info[alice.userId]).toEqual({ displayname: "alice" });
    const page2 = (await search(alice, { search_term: "needle", filter: { limit: 2 } }, page1.next_batch))
      .body.search_categories.room_events;
    expect(page2.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([
      ids[2],
      ids[1],
    ]);

    await alice.put(`/_matrix/client/v3/rooms/${enc(room)}/redact/${enc(ids[4]!)}/rd${n++}`, {});
    const after = await search(alice, { search_term: "needle" });
    expect(
      after.body.search_categories.room_events.results.map(
        (r: { result: { event_id: string } }) => r.result.event_id,
      ),
    ).not.toContain(ids[4]);
    expect((await search(alice, { search_term: 5 })).status).toBe(400);
    expect((await alice.post("/_matrix/client/v3/search", { search_categories: {} })).body).toEqual({
      search_categories: {},
    });
  });
});

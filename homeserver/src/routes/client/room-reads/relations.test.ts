// Relationships through HTTP ("Forming relationships between events", "Threading", bundled aggregations).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
let carol: Client & { userId: string };
const enc = encodeURIComponent;
let roomId: string;
let n = 0;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  carol = await registerUser(server, "carol");
  roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
    .room_id as string;
  await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`);
  await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`);
});
afterAll(async () => {
  await server.destroy();
});

async function send(c: Client, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
  const res = await c.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/t${n++}`, content);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id as string;
}

const inThread = (root: string, body: string) => ({
  msgtype: "m.text",
  body,
  "m.relates_to": {
    rel_type: "m.thread",
    event_id: root,
    is_falling_back: true,
    "m.in_reply_to": { event_id: root },
  },
});

describe("relations", () => {
  it("pages a parent's children, by relation and event type, and bundles the aggregations", async () => {
    const root = await send(alice, { msgtype: "m.text", body: "root" });
    const r1 = await send(bob, inThread(root, "first reply"));
    const reaction = await send(
      carol,
      { "m.relates_to": { rel_type: "m.annotation", event_id: root, key: "👍" } },
      "m.reaction",
    );
    const r2 = await send(alice, inThread(root, "second reply"));
    const edit = await send(alice, {
      msgtype: "m.text",
      body: "* root (edited)",
      "m.new_content": { msgtype: "m.text", body: "root (edited)" },
      "m.relates_to": { rel_type: "m.replace", event_id: root },
    });
    // An edit by someone else is no edit.
    await send(bob, {
      msgtype: "m.text",
      body: "* hijacked",
      "m.new_content": { msgtype: "m.text", body: "hijacked" },
      "m.relates_to": { rel_type: "m.replace", event_id: root },
    });
    const ref = await send(carol, {
      msgtype: "m.text",
      body: "see above",
      "m.relates_to": { rel_type: "m.reference", event_id: root },
    });

    const all = await carol.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}`);
    expect(all.status).toBe(200);
    expect(all.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([
      ref,
      expect.any(String),
      edit,
      r2,
      reaction,
      r1,
    ]);
    const threadPage = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?limit=1`,
    );
    expect(threadPage.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([r2]);
    const next = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?limit=1&from=${enc(threadPage.body.next_batch)}`,
    );
    expect(next.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([r1]);
    expect(next.body.next_batch).toBeUndefined();
    const forward = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?dir=f`,
    );
    expect(forward.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([r1, r2]);
    const reactions = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.annotation/m.reaction`,
    );
    expect(reactions.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reaction]);
    const none = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.annotation/m.other`,
    );
    expect(none.body.chunk).toEqual([]);
    const recursed = await carol.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}?recurse=true`,
    );
    expect(recursed.body.recursion_depth).toBe(1);

    // Bundled aggregations on the parent, wherever it is served.
    const got = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(root)}`);
    const agg = got.body.unsigned["m.relations"];
    expect(agg["m.thread"]).toMatchObject({ count: 2, current_user_participated: false });
    expect(agg["m.thread"].latest_event.event_id).toBe(r2);
    expect(agg["m.replace"].event_id).toBe(edit);
    expect(agg["m.reference"]).toEqual({ chunk: [{ event_id: ref }] });
    const mine = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(root)}`);
    expect(mine.body.unsigned["m.relations"]["m.thread"].current_user_participated).toBe(true);
    const messages = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    const inMessages = messages.body.chunk.find((e: { event_id: string }) => e.event_id === root);
    expect(inMessages.unsigned["m.relations"]["m.thread"].count).toBe(2);

    // A redacted reply leaves the thread.
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(r2)}/x${n++}`, {});
    const after = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(root)}`);
    expect(after.body.unsigned["m.relations"]["m.thread"]).toMatchObject({ count: 1 });
    expect(after.body.unsigned["m.relations"]["m.thread"].latest_event.event_id).toBe(r1);

    const unknown = await carol.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc("$nope")}`);
    expect(unknown.status).toBe(404);
  });

  it("lists threads, the most recently active first, and those the user took part in", async () => {
    const older = await send(bob, { msgtype: "m.text", body: "older root" });
    const newer = await send(carol, { msgtype: "m.text", body: "newer root" });
    await send(bob, inThread(older, "reply to older"));
    await send(carol, inThread(newer, "reply to newer"));
    const threads = await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads?limit=2`);
    expect(threads.status).toBe(200);
    expect(threads.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([newer, older]);
    const rest = await alice.get(
      `/_matrix/client/v1/rooms/${enc(roomId)}/threads?limit=2&from=${enc(threads.body.next_batch)}`,
    );
    expect(rest.body.chunk.length).toBe(1);
    const bobs = await bob.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads?include=participated`);
    expect(bobs.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([
      older,
      rest.body.chunk[0].event_id,
    ]);
    const outsider = await registerUser(server, "dave");
    const refused = await outsider.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads`);
    expect(refused.body.chunk).toEqual([]);
  });
});

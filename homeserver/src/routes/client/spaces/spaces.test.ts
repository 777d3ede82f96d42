// Spaces through HTTP ("Spaces": GET /rooms/{roomId}/hierarchy).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

async function room(body: Record<string, unknown>): Promise<string> {
  const res = await alice.post("/_matrix/client/v3/createRoom", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.room_id as string;
}

async function addChild(space: string, child: string, suggested = false): Promise<void> {
  const res = await alice.put(`/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, {
    via: [server.config.serverName],
    ...(suggested ? { suggested: true } : {}),
  });
  expect(res.status).toBe(200);
}

const ids = (body: Record<string, unknown>) =>
  (body.rooms as Array<{ room_id: string }>).map((r) => r.room_id);

describe("space hierarchy", () => {
  it("walks a space breadth first, showing only rooms the user may preview", async () => {
    const space = await room({ preset: "public_chat", name: "Space", creation_content: { type: "m.space" } });
    const lobby = await room({ preset: "public_chat", name: "Lobby" });
    const secret = await room({ preset: "private_chat", name: "Secret" });
    const sub = await room({ preset: "public_chat", name: "Sub", creation_content: { type: "m.space" } });
    const deep = await room({ preset: "public_chat", name: "Deep" });
    await addChild(space, lobby, true);
    await addChild(space, secret);
    await addChild(space, sub);
    await addChild(sub, deep);
    // A child without `via` is no child.
    await alice.put(`/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc("!gone:x")}`, {});

    const forAlice = await alice.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy`);
    expect(forAlice.status).toBe(200);
    expect(ids(forAlice.body)).toEqual([space, lobby, secret, sub, deep]);
    const root = forAlice.body.rooms[0];
    expect(root).toMatchObject({
      name: "Space",
      room_type: "m.space",
      join_rule: "public",
      num_joined_members: 1,
    });
    expect(root.children_state.map((c: { state_key: string }) => c.state_key).sort()).toEqual(
      [lobby, secret, sub].sort(),
    );

    const forBob = await bob.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy`);
    expect(ids(forBob.body)).toEqual([space, lobby, sub, deep]);
    const suggested = await bob.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy?suggested_only=true`);
    expect(ids(suggested.body)).toEqual([space, lobby]);
    const shallow = await bob.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy?max_depth=1`);
    expect(ids(shallow.body)).toEqual([space, lobby, sub]);
    const page1 = await bob.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy?limit=2`);
    expect(ids(page1.body)).toEqual([space, lobby]);
    const page2 = await bob.get(
      `/_matrix/client/v1/rooms/${enc(space)}/hierarchy?limit=2&from=${enc(page1.body.next_batch)}`,
    );
    expect(ids(page2.body)).toEqual([sub, deep]);
    expect(page2.body.next_batch).toBeUndefined();

    expect((await bob.get(`/_matrix/client/v1/rooms/${enc(secret)}/hierarchy`)).status).toBe(403);
    expect((await bob.get(`/_matrix/client/v1/rooms/${enc("!unknown:x")}/hierarchy`)).status).toBe(404);
  });
});

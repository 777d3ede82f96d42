// The user directory through HTTP ("User directory").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
});
afterAll(async () => {
  await server.destroy();
});

describe("user directory", () => {
  it("finds users sharing a room or in a public room, by ID or display name, and no one else", async () => {
    const bob = await registerUser(server, "bob");
    const barbara = await registerUser(server, "barbara");
    const hidden = await registerUser(server, "bartholomew");
    await bob.put(`/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, {
      displayname: "Robert Smith",
    });
    // Bob shares a private room with Alice; Barbara is in a public room; Bartholomew in neither.
    const priv = (
      await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat", invite: [bob.userId] })
    ).body.room_id as string;
    await bob.post(`/_matrix/client/v3/join/${enc(priv)}`);
    await barbara.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    await hidden.post("/_matrix/client/v3/createRoom", { preset: "private_chat" });

    const search = async (term: string, limit?: number) =>
      (
        await alice.post("/_matrix/client/v3/user_directory/search", {
          search_term: term,
          ...(limit ? { limit } : {}),
        })
      ).body;
    expect((await search("robert")).results).toEqual([{ user_id: bob.userId, display_name: "Robert Smith" }]);
    expect((await search("smi rob")).results.map((r: { user_id: string }) => r.user_id)).toEqual([
      bob.userId,
    ]);
    const ba = await search("ba");
    expect(ba.results.map((r: { user_id: string }) => r.user_id)).toEqual([barbara.userId]);
    expect((await search("b", 1)).limited).toBe(true);
    expect((await search("bartholomew")).results).toEqual([]);
    const bad = await alice.post("/_matrix/client/v3/user_directory/search", {});
    expect(bad.status).toBe(400);
  });
});

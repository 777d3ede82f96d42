import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
let carol: Client & { userId: string };
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  carol = await registerUser(server, "carol");
  const room = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.post(`/_matrix/client/v3/join/${enc(room)}`);
});
afterAll(async () => {
  await server.destroy();
});

describe("presence", () => {
  it("shows a status change to users who share a room, in sync and by status", async () => {
    const start = await alice.get("/_matrix/client/v3/sync?set_presence=offline");
    const waiting = alice.get(
      `/_matrix/client/v3/sync?since=${start.body.next_batch}&timeout=5000&set_presence=offline`,
    );
    const put = await bob.put(`/_matrix/client/v3/presence/${enc(bob.userId)}/status`, {
      presence: "unavailable",
      status_msg: "lunch",
    });
    expect(put.status).toBe(200);
    const woke = await waiting;
    const ev = woke.body.presence.events.find((e: { sender: string }) => e.sender === bob.userId);
    expect(ev).toMatchObject({
      type: "m.presence",
      content: { presence: "unavailable", status_msg: "lunch" },
    });
    const status = await alice.get(`/_matrix/client/v3/presence/${enc(bob.userId)}/status`);
    expect(status.body).toMatchObject({ presence: "unavailable", status_msg: "lunch" });
  });

  it("is hidden from users who share no room, and only settable by its owner", async () => {
    expect((await carol.get(`/_matrix/client/v3/presence/${enc(bob.userId)}/status`)).status).toBe(403);
    expect(
      (await carol.put(`/_matrix/client/v3/presence/${enc(bob.userId)}/status`, { presence: "online" }))
        .status,
    ).toBe(403);
    const bad = await bob.put(`/_matrix/client/v3/presence/${enc(bob.userId)}/status`, {
      presence: "asleep",
    });
    expect(bad.body.errcode).toBe("M_BAD_JSON");
    const carolSync = await carol.get("/_matrix/client/v3/sync");
    expect(carolSync.body.presence.events.some((e: { sender: string }) => e.sender === bob.userId)).toBe(
      false,
    );
  });

  it("marks a syncing user online", async () => {
    await carol.get("/_matrix/client/v3/sync");
    expect((await carol.get(`/_matrix/client/v3/presence/${enc(carol.userId)}/status`)).body.presence).toBe(
      "online",
    );
  });
});

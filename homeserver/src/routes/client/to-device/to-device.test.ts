import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string; deviceId: string };
let bob: Client & { userId: string; deviceId: string };

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

describe("send-to-device", () => {
  it("delivers to a device once, and forgets what the next sync acknowledges", async () => {
    const first = await bob.get("/_matrix/client/v3/sync");
    const msg = { messages: { [bob.userId]: { [bob.deviceId]: { hello: "bob" } } } };
    expect((await alice.put("/_matrix/client/v3/sendToDevice/m.test/t1", msg)).status).toBe(200);
    expect((await alice.put("/_matrix/client/v3/sendToDevice/m.test/t1", msg)).status).toBe(200);
    const second = await bob.get(`/_matrix/client/v3/sync?since=${first.body.next_batch}`);
    expect(second.body.to_device.events).toEqual([
      { sender: alice.userId, type: "m.test", content: { hello: "bob" } },
    ]);
    // Retried with the same token (the response was lost): still there.
    const retry = await bob.get(`/_matrix/client/v3/sync?since=${first.body.next_batch}`);
    expect(retry.body.to_device.events).toHaveLength(1);
    const third = await bob.get(`/_matrix/client/v3/sync?since=${second.body.next_batch}`);
    expect(third.body.to_device.events).toEqual([]);
  });

  it("delivers to every device with '*', and refuses bad bodies", async () => {
    const login = await new Client(server.url).post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "bob" },
      password: "correct horse battery",
    });
    expect(login.status).toBe(200);
    const bob2 = new Client(server.url, login.body.access_token as string);
    const start = await bob2.get("/_matrix/client/v3/sync");
    await alice.put("/_matrix/client/v3/sendToDevice/m.test/t2", {
      messages: { [bob.userId]: { "*": { all: true } } },
    });
    const s = await bob2.get(`/_matrix/client/v3/sync?since=${start.body.next_batch}`);
    expect(s.body.to_device.events).toEqual([
      { sender: alice.userId, type: "m.test", content: { all: true } },
    ]);
    const bad = await alice.put("/_matrix/client/v3/sendToDevice/m.test/t3", { messages: [] });
    expect(bad.body.errcode).toBe("M_BAD_JSON");
  });
});

describe("device lists", () => {
  it("reports a co-member's new device in device_lists.changed, and not a stranger's", async () => {
    const roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body
      .room_id;
    await bob.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`);
    const carol = await registerUser(server, "carol");
    const start = await alice.get("/_matrix/client/v3/sync");
    const login = await new Client(server.url).post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "bob" },
      password: "correct horse battery",
    });
    expect(login.status).toBe(200);
    await new Client(server.url).post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "carol" },
      password: "correct horse battery",
    });
    void carol;
    const next = await alice.get(`/_matrix/client/v3/sync?since=${start.body.next_batch}&timeout=2000`);
    expect(next.body.device_lists.changed).toContain(bob.userId);
    expect(next.body.device_lists.changed).not.toContain("@carol:localhost");
  });
});

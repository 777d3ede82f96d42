// Hostile request bodies (issue 8, findings 1 and 2): deep nesting and lone surrogates get a clear
// 400, and nothing one user sends stops the server from writing for everyone else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../testing/harness.js";

const deep = (n: number) => `{"a":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;

describe("hostile JSON bodies", () => {
  let server: TestServer;
  let alice: Client & { userId: string; deviceId: string };
  let bob: Client & { userId: string; deviceId: string };
  let roomId: string;
  let txn = 0;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await registerUser(server, "alice");
    bob = await registerUser(server, "bob");
    roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body.room_id;
    expect((await bob.post(`/_matrix/client/v3/join/${roomId}`, {})).status).toBe(200);
  });
  afterAll(() => server.destroy());

  /** Everyone can still write: a message round trip, account data and a registration. */
  async function stillWrites(): Promise<void> {
    const body = `still here ${++txn}`;
    const sent = await bob.put(`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/ok${txn}`, {
      msgtype: "m.text",
      body,
    });
    expect(sent.status).toBe(200);
    const read = await bob.get(`/_matrix/client/v3/rooms/${roomId}/event/${sent.body.event_id}`);
    expect(read.body.content.body).toBe(body);
    const data = await bob.put(`/_matrix/client/v3/user/${bob.userId}/account_data/org.example.ok`, {
      n: txn,
    });
    expect(data.status).toBe(200);
    await registerUser(server, `fresh${txn}`);
  }

  const cases: Array<[string, (c: Client & { userId: string }) => string, string]> = [
    ["account data", (c) => `/_matrix/client/v3/user/${c.userId}/account_data/org.example.x`, "PUT"],
    ["room account data", (c) => `/_matrix/client/v3/user/${c.userId}/rooms/ROOM/account_data/x`, "PUT"],
    ["a message", () => "/_matrix/client/v3/rooms/ROOM/send/m.room.message/TXN", "PUT"],
    ["a state event", () => "/_matrix/client/v3/rooms/ROOM/state/org.example.s/k", "PUT"],
    ["createRoom", () => "/_matrix/client/v3/createRoom", "POST"],
    ["a filter", (c) => `/_matrix/client/v3/user/${c.userId}/filter`, "POST"],
  ];

  for (const depth of [101, 5_000, 100_000]) {
    it(`answers 400 M_BAD_JSON to ${depth} levels of nesting, and writes still work`, async () => {
      for (const [name, path, method] of cases) {
        const p = path(alice).replace("ROOM", roomId).replace("TXN", `deep${depth}`);
        const res = await alice.request(method, p, deep(depth));
        expect(res.status, name).toBe(400);
        expect(res.body.errcode, name).toBe("M_BAD_JSON");
      }
      const toDevice = await alice.put(
        `/_matrix/client/v3/sendToDevice/org.example.t/deep${depth}`,
        `{"messages":{"${bob.userId}":{"*":${deep(depth)}}}}`,
      );
      expect(toDevice.body.errcode).toBe("M_BAD_JSON");
      await stillWrites();
    });
  }

  it("accepts nesting up to 100 levels where the content is free-form", async () => {
    const ok = await alice.put(
      `/_matrix/client/v3/user/${alice.userId}/account_data/org.example.d`,
      deep(100),
    );
    expect(ok.status).toBe(200);
    const sent = await alice.put(`/_matrix/client/v3/rooms/${roomId}/send/org.example.deep/d100`, deep(100));
    expect(sent.status).toBe(200);
  });

  it("answers 400 M_BAD_JSON to lone surrogates in a message, a room name and a to-device message", async () => {
    const bodies: Array<[string, string, string]> = [
      [
        "PUT",
        `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/s1`,
        '{"msgtype":"m.text","body":"\\ud800"}',
      ],
      ["PUT", `/_matrix/client/v3/rooms/${roomId}/state/m.room.name/`, '{"name":"x\\udc00y"}'],
      ["POST", "/_matrix/client/v3/createRoom", '{"name":"\\ud83d"}'],
      [
        "PUT",
        "/_matrix/client/v3/sendToDevice/m.test/s2",
        `{"messages":{"${bob.userId}":{"*":{"k":"\\udfff"}}}}`,
      ],
      ["PUT", `/_matrix/client/v3/user/${alice.userId}/account_data/org.example.s`, '{"\\ud800":1}'],
    ];
    for (const [method, path, body] of bodies) {
      const res = await alice.request(method, path, body);
      expect(res.status, path).toBe(400);
      expect(res.body.errcode, path).toBe("M_BAD_JSON");
    }
    // A surrogate pair is a character like any other.
    const pair = await alice.put(
      `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/s3`,
      '{"msgtype":"m.text","body":"\\ud83d\\ude00"}',
    );
    expect(pair.status).toBe(200);
    await stillWrites();
  });

  it("answers 400 M_BAD_JSON to event content canonical JSON cannot carry (floats, huge numbers)", async () => {
    for (const [i, body] of ['{"n":1.5}', '{"n":1e400}', '{"n":9007199254740992}'].entries()) {
      const res = await alice.put(`/_matrix/client/v3/rooms/${roomId}/send/org.example.n/n${i}`, body);
      expect(res.status, body).toBe(400);
      expect(res.body.errcode, body).toBe("M_BAD_JSON");
    }
    const created = await alice.post("/_matrix/client/v3/createRoom", '{"creation_content":{"f":0.5}}');
    expect(created.body.errcode).toBe("M_BAD_JSON");
    await stillWrites();
  });
});

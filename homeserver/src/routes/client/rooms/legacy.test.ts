// The legacy send and redact paths without a transaction ID (specs/legacy.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let roomId: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" })).body.room_id;
});
afterAll(async () => {
  await server.destroy();
});

describe("legacy POST /send and /redact without a transaction ID", () => {
  it("sends a new event on every call, at v3 and r0", async () => {
    const message = { msgtype: "m.text", body: "old client" };
    const first = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message`, message);
    const second = await alice.post(`/_matrix/client/r0/rooms/${enc(roomId)}/send/m.room.message`, message);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.event_id).toMatch(/^\$/);
    expect(second.body.event_id).not.toBe(first.body.event_id);
    const ev = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(first.body.event_id)}`);
    expect(ev.body.content).toEqual(message);
    expect(ev.body.unsigned?.transaction_id).toBeUndefined();
  });

  it("redacts, each call a new redaction", async () => {
    const sent = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message`, {
      msgtype: "m.text",
      body: "secret",
    });
    const target = enc(sent.body.event_id);
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${target}`;
    const first = await alice.post(path, { reason: "oops" });
    const second = await alice.post(path, {});
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.event_id).not.toBe(first.body.event_id);
    const redaction = await alice.get(
      `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(first.body.event_id)}`,
    );
    expect(redaction.body.type).toBe("m.room.redaction");
    expect(redaction.body.content.reason).toBe("oops");
    const redacted = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${target}`);
    expect(redacted.body.content).toEqual({});
  });

  it("refuses what the PUT refuses", async () => {
    const room = enc(roomId);
    expect((await alice.post(`/_matrix/client/v3/rooms/${room}/redact/not-an-event`, {})).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect((await alice.post(`/_matrix/client/v3/rooms/${enc("!nope:localhost")}/send/m.x`, {})).status).toBe(
      404,
    );
    const anon = await fetch(`${server.url}/_matrix/client/v3/rooms/${room}/send/m.x`, {
      method: "POST",
      body: "{}",
    });
    expect(anon.status).toBe(401);
  });
});

// Endpoints clients call at start or from settings: answered, not 404.
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

describe("misc client endpoints", () => {
  it("answers the start-up and settings queries", async () => {
    expect((await alice.get("/_matrix/client/v3/account/3pid")).body).toEqual({ threepids: [] });
    expect((await alice.get("/_matrix/client/v3/thirdparty/protocols")).body).toEqual({});
    expect((await alice.get("/_matrix/client/v3/voip/turnServer")).body).toEqual({});
  });

  it("takes reports of events and rooms the reporter can see", async () => {
    const roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" })).body
      .room_id as string;
    const sent = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/r1`, {
      body: "spam",
    });
    const eventId = sent.body.event_id as string;
    const ok = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, {
      reason: "spam",
      score: -100,
    });
    expect(ok.status).toBe(200);
    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/report`, { reason: "bad room" })).status,
    ).toBe(200);
    // Bob is not in the room: it does not exist for him.
    expect(
      (await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, {})).status,
    ).toBe(404);
    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc("$nope")}`, {})).status,
    ).toBe(404);
    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, { score: 5 }))
        .status,
    ).toBe(400);
  });
});

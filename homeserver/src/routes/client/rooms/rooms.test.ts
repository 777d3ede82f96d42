import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

const enc = encodeURIComponent;

describe("rooms: the write path", () => {
  it("creates a room, invites, joins, sends, redacts, leaves", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      name: "Test",
      preset: "private_chat",
    });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect(roomId).toMatch(/^!.+:localhost$/);

    const denied = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe("M_FORBIDDEN");

    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status,
    ).toBe(200);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).body).toEqual({ room_id: roomId });
    expect((await bob.get("/_matrix/client/v3/joined_rooms")).body.joined_rooms).toEqual([roomId]);

    const sent = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, {
      msgtype: "m.text",
      body: "hi",
    });
    expect(sent.status).toBe(200);
    const again = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, {
      msgtype: "m.text",
      body: "hi",
    });
    expect(again.body.event_id).toBe(sent.body.event_id);

    const redacted = await bob.put(
      `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(sent.body.event_id)}/r1`,
      { reason: "oops" },
    );
    expect(redacted.status).toBe(200);

    const topic = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic`, {
      topic: "t",
    });
    expect(topic.status).toBe(200);
    const bobTopic = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, {
      topic: "b",
    });
    expect(bobTopic.status).toBe(403);

    expect((await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`)).status).toBe(200);
    expect((await bob.get("/_matrix/client/v3/joined_rooms")).body.joined_rooms).toEqual([]);
  });

  it("creates rooms of every version 1–12 and refuses unknown ones", async () => {
    for (let v = 1; v <= 12; v++) {
      const res = await alice.post("/_matrix/client/v3/createRoom", {
        room_version: String(v),
        preset: "public_chat",
      });
      expect(res.status, `room version ${v}: ${JSON.stringify(res.body)}`).toBe(200);
      const send = await alice.put(
        `/_matrix/client/v3/rooms/${enc(res.body.room_id)}/send/m.room.message/v${v}`,
        { body: "x" },
      );
      expect(send.status).toBe(200);
      const join = await bob.post(`/_matrix/client/v3/join/${enc(res.body.room_id)}`);
      expect(join.status, `join v${v}: ${JSON.stringify(join.body)}`).toBe(200);
    }
    const bad = await alice.post("/_matrix/client/v3/createRoom", { room_version: "99" });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
  });

  it("lets members of the allowed room into a restricted room, authorised by a local member", async () => {
    const create = async (body: Record<string, unknown>) =>
      (await alice.post("/_matrix/client/v3/createRoom", body)).body.room_id as string;
    const space = await create({ preset: "public_chat" });
    const restricted = await create({
      preset: "private_chat",
      room_version: "10",
      initial_state: [
        {
          type: "m.room.join_rules",
          state_key: "",
          content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] },
        },
      ],
    });
    const refused = await bob.post(`/_matrix/client/v3/rooms/${enc(restricted)}/join`);
    expect(refused.status).toBe(403);
    expect((await bob.post(`/_matrix/client/v3/rooms/${enc(space)}/join`)).status).toBe(200);
    const joined = await bob.post(`/_matrix/client/v3/rooms/${enc(restricted)}/join`);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const member = await bob.get(
      `/_matrix/client/v3/rooms/${enc(restricted)}/state/m.room.member/${enc(bob.userId)}`,
    );
    expect(member.body).toMatchObject({ membership: "join", join_authorised_via_users_server: alice.userId });
  });

  it("knocks on a knock room, shows the knock in sync, and lets a moderator invite", async () => {
    const created = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "private_chat",
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
    });
    const roomId = created.body.room_id as string;
    const knocked = await bob.post(`/_matrix/client/v3/knock/${enc(roomId)}`, { reason: "let me in" });
    expect(knocked.status, JSON.stringify(knocked.body)).toBe(200);
    const sync = await bob.get("/_matrix/client/v3/sync");
    expect(sync.body.rooms.knock[roomId].knock_state.events).toContainEqual(
      expect.objectContaining({
        type: "m.room.member",
        state_key: bob.userId,
        content: expect.objectContaining({ membership: "knock" }),
      }),
    );
    expect(
      (await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status,
    ).toBe(200);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`)).status).toBe(200);
    const old = await alice.post("/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      room_version: "6",
    });
    expect((await bob.post(`/_matrix/client/v3/knock/${enc(old.body.room_id)}`)).status).toBe(403);
    const invitePrivate = await alice.post("/_matrix/client/v3/createRoom", { preset: "private_chat" });
    expect((await bob.post(`/_matrix/client/v3/knock/${enc(invitePrivate.body.room_id)}`)).status).toBe(403);
  });

  it("makes and resolves an alias, and refuses a taken one", async () => {
    const res = await alice.post("/_matrix/client/v3/createRoom", {
      room_alias_name: "lounge",
      preset: "public_chat",
    });
    expect(res.status).toBe(200);
    const join = await bob.post(`/_matrix/client/v3/join/${enc("#lounge:localhost")}`);
    expect(join.body.room_id).toBe(res.body.room_id);
    const taken = await alice.post("/_matrix/client/v3/createRoom", { room_alias_name: "lounge" });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_ROOM_IN_USE");
  });

  it("refuses bad input with Matrix errors", async () => {
    const notJson = await alice.request("POST", "/_matrix/client/v3/createRoom", "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
    const badType = await alice.post("/_matrix/client/v3/createRoom", { name: 5 });
    expect(badType.body.errcode).toBe("M_BAD_JSON");
    const unknownRoom = await alice.put(
      `/_matrix/client/v3/rooms/${enc("!nope:localhost")}/send/m.room.message/x`,
      {},
    );
    expect(unknownRoom.status).toBe(404);
    const big = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
    const huge = await alice.put(
      `/_matrix/client/v3/rooms/${enc(big.body.room_id)}/send/m.room.message/big`,
      { body: "x".repeat(70_000) },
    );
    expect(huge.status).toBe(413);
    expect(huge.body.errcode).toBe("M_TOO_LARGE");
    const noToken = await new (alice.constructor as typeof Client)(server.url).post(
      "/_matrix/client/v3/createRoom",
      {},
    );
    expect(noToken.status).toBe(401);
    expect(noToken.body.errcode).toBe("M_MISSING_TOKEN");
    const wrongMethod = await alice.get("/_matrix/client/v3/createRoom");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.errcode).toBe("M_UNRECOGNIZED");
    const unknown = await alice.get("/_matrix/client/v3/nope");
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_UNRECOGNIZED");
  });
});

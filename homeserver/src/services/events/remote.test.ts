import {
  authEventTypes,
  computeEventId,
  generateSigningKey,
  type Pdu,
  signEvent,
  stateMapKey,
} from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerUser, startTestServer, type TestServer } from "../../testing/harness.js";

const REMOTE = "remote.example";
const remoteKey = generateSigningKey("ed25519:r");
let server: TestServer;
let roomId: string;
const VERSION = "10";

beforeAll(async () => {
  server = await startTestServer();
  const alice = await registerUser(server, "alice");
  roomId = (
    await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", room_version: VERSION })
  ).body.room_id;
});
afterAll(async () => {
  await server.destroy();
});

/** Builds a remote event on top of `prevIds`, with auth events selected from `state`. */
async function remoteEvent(
  fields: { type: string; sender: string; state_key?: string; content: Record<string, unknown> },
  prevIds: string[],
  state: ReadonlyMap<string, string>,
): Promise<Pdu> {
  const { events } = server.services;
  const prevs = await events.getMany(prevIds);
  const authIds = authEventTypes(fields, VERSION)
    .map(([t, s]) => state.get(stateMapKey(t, s)))
    .filter((x): x is string => x !== undefined);
  const ev = {
    ...fields,
    room_id: roomId,
    origin_server_ts: Date.now(),
    depth: Math.max(...prevs.map((p) => p!.depth)) + 1,
    prev_events: prevIds,
    auth_events: authIds,
  };
  return signEvent(ev, REMOTE, remoteKey, VERSION) as unknown as Pdu;
}

async function extremities(): Promise<string[]> {
  return [...(await server.services.roomStore.extremities(roomId)).keys()];
}

describe("remote events through the pipeline", () => {
  it("accepts a remote join and message, rejects a non-member's event, soft-fails ban evasion", async () => {
    const { pipeline, roomStore } = server.services;
    const bob = `@bob:${REMOTE}`;
    const state0 = await roomStore.currentState(roomId);
    const join = await remoteEvent(
      { type: "m.room.member", sender: bob, state_key: bob, content: { membership: "join" } },
      await extremities(),
      state0,
    );
    const joined = await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, join));
    expect(joined.outcome).toBe("accepted");
    expect((await roomStore.membership(bob, roomId))?.membership).toBe("join");

    const state1 = await roomStore.currentState(roomId);
    const msg = await remoteEvent(
      { type: "m.room.message", sender: bob, content: { body: "hi" } },
      await extremities(),
      state1,
    );
    expect((await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, msg))).outcome).toBe(
      "accepted",
    );
    expect(await extremities()).toEqual([computeEventId(msg, VERSION)]);

    // A user who never joined: the auth events do not allow it → rejected, not in the timeline.
    const mallory = `@mallory:${REMOTE}`;
    const bad = await remoteEvent(
      { type: "m.room.message", sender: mallory, content: { body: "x" } },
      await extremities(),
      state1,
    );
    const rejected = await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, bad));
    expect(rejected.outcome).toBe("rejected");
    expect(await extremities()).toEqual([computeEventId(msg, VERSION)]);

    // Alice bans bob locally; bob's server then sends an event built on the state before the ban.
    const admin = await registerUser(server, "admin");
    void admin;
    const aliceToken = await registerUser(server, "alice2");
    void aliceToken;
    const aliceId = `@alice:localhost`;
    await server.services.rooms.ban(aliceId, roomId, bob, "spam");
    const evasion = await remoteEvent(
      { type: "m.room.message", sender: bob, content: { body: "still here" } },
      [computeEventId(msg, VERSION)],
      state1,
    );
    const soft = await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, evasion));
    expect(soft.outcome).toBe("soft-failed");
    const stored = await server.services.events.get(soft.eventId);
    expect(stored?.softFailed).toBe(true);
    expect(await extremities()).not.toContain(soft.eventId);

    // Duplicates are recognised; missing prev events must be fetched first.
    expect((await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, msg))).outcome).toBe(
      "duplicate",
    );
    const orphan = {
      ...(await remoteEvent(
        { type: "m.room.message", sender: bob, content: {} },
        [computeEventId(msg, VERSION)],
        state1,
      )),
    };
    orphan.prev_events = [`$${"x".repeat(43)}`];
    const resigned = signEvent({ ...orphan, signatures: {} }, REMOTE, remoteKey, VERSION) as unknown as Pdu;
    await expect(
      pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, VERSION, resigned)),
    ).rejects.toMatchObject({
      errcode: "M_BAD_STATE",
    });
  });
});

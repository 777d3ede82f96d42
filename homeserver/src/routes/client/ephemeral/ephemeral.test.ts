import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
let roomId: string;
let messageId: string;
const enc = encodeURIComponent;

type Sync = { next_batch: string; rooms: { join: Record<string, any> }; account_data: { events: any[] } };

async function sync(c: Client, since?: string, timeout = 0): Promise<Sync> {
  const q = since ? `?since=${since}&timeout=${timeout}` : "";
  const res = await c.get<Sync>(`/_matrix/client/v3/sync${q}`);
  expect(res.status).toBe(200);
  return res.body;
}

function ephemeral(s: Sync, type: string): any[] {
  return (s.rooms.join[roomId]?.ephemeral?.events ?? []).filter((e: { type: string }) => e.type === type);
}

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`);
  messageId = (
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/m1`, {
      msgtype: "m.text",
      body: "x",
    })
  ).body.event_id;
});
afterAll(async () => {
  await server.destroy();
});

describe("typing", () => {
  it("reaches the other user's sync, and stops", async () => {
    const start = await sync(bob);
    const waiting = sync(bob, start.next_batch, 5000);
    const put = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, {
      typing: true,
      timeout: 10000,
    });
    expect(put.status).toBe(200);
    const woke = await waiting;
    expect(ephemeral(woke, "m.typing")).toEqual([
      { type: "m.typing", content: { user_ids: [alice.userId] } },
    ]);
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
    const stopped = await sync(bob, woke.next_batch);
    expect(ephemeral(stopped, "m.typing")).toEqual([{ type: "m.typing", content: { user_ids: [] } }]);
    const quiet = await sync(bob, stopped.next_batch);
    expect(ephemeral(quiet, "m.typing")).toEqual([]);
  });

  it("refuses typing for someone else or in a room you are not in", async () => {
    const other = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, {
      typing: true,
    });
    expect(other.status).toBe(403);
    const stranger = await registerUser(server, "carol");
    const notIn = await stranger.put(
      `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(stranger.userId)}`,
      {
        typing: true,
      },
    );
    expect(notIn.status).toBe(403);
    const bad = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, {
      typing: "yes",
    });
    expect(bad.body.errcode).toBe("M_BAD_JSON");
  });
});

describe("receipts and read markers", () => {
  it("delivers public receipts to everyone and private ones only to their owner", async () => {
    const start = await sync(alice);
    const read = await bob.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(messageId)}`,
      {},
    );
    expect(read.status).toBe(200);
    const priv = await alice.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read.private/${enc(messageId)}`,
      {},
    );
    expect(priv.status).toBe(200);
    const forAlice = ephemeral(await sync(alice, start.next_batch), "m.receipt");
    expect(forAlice).toHaveLength(1);
    expect(forAlice[0].content[messageId]["m.read"][bob.userId].ts).toBeTypeOf("number");
    expect(forAlice[0].content[messageId]["m.read.private"][alice.userId]).toBeDefined();
    const forBob = ephemeral(await sync(bob), "m.receipt");
    expect(forBob[0].content[messageId]["m.read"][bob.userId]).toBeDefined();
    expect(forBob[0].content[messageId]["m.read.private"]).toBeUndefined();
  });

  it("sets m.fully_read through read_markers and the receipt endpoint", async () => {
    const start = await sync(bob);
    const res = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`, {
      "m.fully_read": messageId,
      "m.read": messageId,
    });
    expect(res.status).toBe(200);
    const next = await sync(bob, start.next_batch);
    expect(next.rooms.join[roomId].account_data.events).toContainEqual({
      type: "m.fully_read",
      content: { event_id: messageId },
    });
    const direct = await bob.put(
      `/_matrix/client/v3/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`,
      {
        event_id: messageId,
      },
    );
    expect(direct.status).toBe(405);
  });

  it("refuses bad receipts", async () => {
    const unknownType = await bob.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.nope/${enc(messageId)}`,
      {},
    );
    expect(unknownType.body.errcode).toBe("M_INVALID_PARAM");
    const emptyThread = await bob.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(messageId)}`,
      {
        thread_id: "",
      },
    );
    expect(emptyThread.body.errcode).toBe("M_INVALID_PARAM");
    const unknownEvent = await bob.post(
      `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(`$${"A".repeat(43)}`)}`,
      {},
    );
    expect(unknownEvent.status).toBe(404);
  });
});

describe("push rules in sync", () => {
  it("sends m.push_rules in initial sync and changes incrementally", async () => {
    const first = await sync(alice);
    const rules = first.account_data.events.find((e) => e.type === "m.push_rules");
    expect(rules.content.global.override[0].rule_id).toBe(".m.rule.master");
    await alice.put("/_matrix/client/v3/pushrules/global/override/.m.rule.master/enabled", { enabled: true });
    const next = await sync(alice, first.next_batch);
    const changed = next.account_data.events.find((e) => e.type === "m.push_rules");
    expect(changed.content.global.override[0].enabled).toBe(true);
  });
});

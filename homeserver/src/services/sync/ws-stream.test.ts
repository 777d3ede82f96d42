/**
 * The WebSocket sync stream (`specs/websocket-sync.md`) against a real server over real sockets: the
 * `auth` frame and its errors, frames equal to `/sync`, live delivery, exact resumption (also mixed
 * with `/sync`), logout, a reader that stops reading, heartbeats, the stream turned off, and upgrade
 * requests for other paths.
 */
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { registerUser, startTestServer, type TestServer } from "../../testing/harness.js";
import { createRoom, join, send, sync, type User } from "./test-helpers.js";
import { WS_SYNC_PATH } from "./ws-stream.js";

type Frame = any;

/** A client connection that records every frame and the close. */
class Conn {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** Bytes of the largest frame received. */
  largest = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: Array<() => void> = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url.replace(/^http/, "ws") + WS_SYNC_PATH, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake();
      });
    });
    this.ws.on("error", () => {});
    this.ws.on("message", (data) => {
      const text = data.toString();
      this.largest = Math.max(this.largest, text.length);
      this.frames.push(JSON.parse(text));
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Sends the `auth` frame (or any object/text). */
  async send(frame: unknown): Promise<void> {
    await this.opened;
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The sync frames so far. */
  syncs(): Frame[] {
    return this.frames.filter((f) => f.type === "sync").map((f) => f.data);
  }

  /** Waits until `check` holds over the frames received (or throws after `timeoutMs`). */
  async until(check: (frames: Frame[]) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the `n`-th sync frame (1-based) and returns its data. */
  async sync(n: number): Promise<Frame> {
    await this.until(() => this.syncs().length >= n);
    return this.syncs()[n - 1];
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a stream and authenticates it as `user` with the given sync parameters. */
async function stream(server: TestServer, user: User, params: Record<string, unknown> = {}): Promise<Conn> {
  const c = new Conn(server.url);
  await c.send({ type: "auth", access_token: user.accessToken, ...params });
  return c;
}

function timelineIds(data: any, roomId: string): string[] {
  return (data.rooms?.join?.[roomId]?.timeline?.events ?? []).map((e: { event_id: string }) => e.event_id);
}

function messageIds(datas: any[], roomId: string): string[] {
  return datas
    .flatMap((d) =>
      (d.rooms?.join?.[roomId]?.timeline?.events ?? []).filter((e: any) => e.type === "m.room.message"),
    )
    .map((e: { event_id: string }) => e.event_id);
}

/** Resolves when a raw TCP connection sending `request` is answered or closed: what it got. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1", () => socket.write(request));
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within 3 s (got ${JSON.stringify(got)})`));
    }, 3_000);
    socket.on("data", (d) => {
      got += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

let server: TestServer;
let alice: User;
let bob: User;
let roomId: string;

beforeAll(async () => {
  server = await startTestServer({}, undefined, {
    wsSync: { authTimeoutMs: 300, drainTimeoutMs: 1_500 },
  });
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  roomId = await createRoom(alice, { preset: "public_chat", name: "Stream" });
  await join(bob, roomId);
  await send(alice, roomId, "hello");
});
afterAll(async () => {
  await server?.destroy();
});

describe("WebSocket sync stream: discovery and errors", () => {
  it("is listed in /versions", async () => {
    const res = await alice.get("/_matrix/client/versions");
    expect(res.body.unstable_features["org.hearth.ws"]).toBe(true);
  });

  it("closes with 4001 after an error frame when no auth frame comes in time", async () => {
    const c = new Conn(server.url);
    const started = Date.now();
    expect((await c.closed).code).toBe(4001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(c.frames).toEqual([expect.objectContaining({ type: "error", errcode: "M_MISSING_TOKEN" })]);
  });

  it("refuses a first frame that is not JSON (M_NOT_JSON) or not an auth frame (M_BAD_JSON) with 4400", async () => {
    const notJson = new Conn(server.url);
    await notJson.send("{nope");
    expect((await notJson.closed).code).toBe(4400);
    expect(notJson.frames).toEqual([expect.objectContaining({ type: "error", errcode: "M_NOT_JSON" })]);

    const notAuth = new Conn(server.url);
    await notAuth.send({ type: "hello" });
    expect((await notAuth.closed).code).toBe(4400);
    expect(notAuth.frames[0]).toMatchObject({ type: "error", errcode: "M_BAD_JSON" });

    const badSince = new Conn(server.url);
    await badSince.send({ type: "auth", access_token: alice.accessToken, since: "garbage" });
    expect((await badSince.closed).code).toBe(4400);
    expect(badSince.frames[0]).toMatchObject({ type: "error", errcode: "M_INVALID_PARAM" });

    const badFilter = new Conn(server.url);
    await badFilter.send({ type: "auth", access_token: alice.accessToken, filter: "no-such-filter" });
    expect((await badFilter.closed).code).toBe(4400);
    expect(badFilter.frames[0]).toMatchObject({ type: "error", errcode: "M_INVALID_PARAM" });
  });

  it("refuses a bad token with M_UNKNOWN_TOKEN and a missing one with M_MISSING_TOKEN, both 4401", async () => {
    const bad = new Conn(server.url);
    await bad.send({ type: "auth", access_token: "syt_not_a_token" });
    expect((await bad.closed).code).toBe(4401);
    expect(bad.frames).toEqual([
      { type: "error", errcode: "M_UNKNOWN_TOKEN", error: expect.any(String), soft_logout: false },
    ]);

    const missing = new Conn(server.url);
    await missing.send({ type: "auth" });
    expect((await missing.closed).code).toBe(4401);
    expect(missing.frames[0]).toMatchObject({ type: "error", errcode: "M_MISSING_TOKEN" });
  });

  it("closes with 4400 when a later frame is not JSON", async () => {
    const c = await stream(server, alice);
    await c.sync(1);
    c.ws.send("not json");
    expect((await c.closed).code).toBe(4400);
    expect(c.frames.at(-1)).toMatchObject({ type: "error", errcode: "M_NOT_JSON" });
  });
});

describe("WebSocket sync stream: frames", () => {
  it("sends as its first frame what /sync answers, initial and incremental, with an inline or stored filter", async () => {
    const filter = { room: { timeline: { limit: 3 } } };
    const viaSync = await sync(alice, { filter: JSON.stringify(filter) });
    const c = await stream(server, alice, { filter });
    const first = await c.sync(1);
    c.close();
    expect(first.next_batch).toBe(viaSync.next_batch);
    expect(Object.keys(first.rooms.join)).toEqual(Object.keys(viaSync.rooms.join));
    expect(timelineIds(first, roomId)).toEqual(timelineIds(viaSync, roomId));
    expect(timelineIds(first, roomId)).toHaveLength(3);
    const ids = (events: any[]) => events.map((e) => e.event_id);
    expect(ids(first.rooms.join[roomId].state.events)).toEqual(ids(viaSync.rooms.join[roomId].state.events));
    expect(first.account_data).toEqual(viaSync.account_data);

    // Incremental from a token, with a stored filter: the same events, even when nothing is new.
    const filterId = (await alice.post(`/_matrix/client/v3/user/${alice.userId}/filter`, filter)).body
      .filter_id as string;
    const since = viaSync.next_batch as string;
    await send(bob, roomId, "after the token");
    const incremental = await sync(alice, { since, filter: filterId });
    const c2 = await stream(server, alice, { since, filter: filterId });
    const first2 = await c2.sync(1);
    c2.close();
    expect(first2.next_batch).toBe(incremental.next_batch);
    expect(timelineIds(first2, roomId)).toEqual(timelineIds(incremental, roomId));
    expect(timelineIds(first2, roomId)).toHaveLength(1);

    const quiet = await stream(server, alice, { since: first2.next_batch, filter: filterId });
    const empty = await quiet.sync(1);
    quiet.close();
    expect(empty.next_batch).toBe(first2.next_batch);
    expect(empty.rooms.join).toEqual({});
  });

  it("pushes a new message at once, and nothing when nothing changed", async () => {
    const c = await stream(server, bob);
    await c.sync(1);
    const eventId = await send(alice, roomId, "live");
    await c.until(() => messageIds(c.syncs(), roomId).includes(eventId));
    const count = c.syncs().length;
    expect(timelineIds(c.syncs().at(-1), roomId)).toEqual([eventId]);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.syncs()).toHaveLength(count);
    c.close();
  });

  it("follows the user into rooms joined while the stream is open, and out of rooms left", async () => {
    const gina = await registerUser(server, "gina");
    const c = await stream(server, gina);
    await c.sync(1);
    const room = await createRoom(alice, { preset: "public_chat" });
    const invited = await alice.post(`/_matrix/client/v3/rooms/${encodeURIComponent(room)}/invite`, {
      user_id: gina.userId,
    });
    expect(invited.status).toBe(200);
    await c.until(() => c.syncs().some((d) => d.rooms.invite[room]));
    await join(gina, room);
    await c.until(() => c.syncs().some((d) => d.rooms.join[room]));
    const eventId = await send(alice, room, "in the new room");
    await c.until(() => messageIds(c.syncs(), room).includes(eventId));
    const left = await gina.post(`/_matrix/client/v3/rooms/${encodeURIComponent(room)}/leave`);
    expect(left.status).toBe(200);
    await c.until(() => c.syncs().some((d) => d.rooms.leave[room]));
    const after = await send(alice, room, "after leaving");
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.stringify(c.frames)).not.toContain(after);
    c.close();
  });

  it("resumes exactly: after a gap, from the stream's or /sync's token, every message once", async () => {
    const sent: string[] = [];
    const seen: string[] = [];
    const c1 = await stream(server, bob);
    const initial = await c1.sync(1);
    sent.push(await send(alice, roomId, "r1"));
    await c1.until(() => messageIds(c1.syncs(), roomId).includes(sent[0]!));
    seen.push(...messageIds(c1.syncs().slice(1), roomId));
    const token1 = c1.syncs().at(-1).next_batch as string;
    expect(initial.next_batch).not.toBe(token1);
    c1.close();
    await c1.closed;

    // Missed while disconnected.
    for (let i = 0; i < 3; i++) sent.push(await send(alice, roomId, `gap${i}`));
    const c2 = await stream(server, bob, { since: token1 });
    await c2.until(() => messageIds(c2.syncs(), roomId).length >= 3);
    sent.push(await send(alice, roomId, "r2"));
    await c2.until(() => messageIds(c2.syncs(), roomId).includes(sent.at(-1)!));
    seen.push(...messageIds(c2.syncs(), roomId));
    const token2 = c2.syncs().at(-1).next_batch as string;
    c2.close();
    await c2.closed;

    // Continue over /sync from the stream's token, then back to the stream from /sync's.
    sent.push(await send(alice, roomId, "r3"));
    const viaSync = await sync(bob, { since: token2 });
    seen.push(...messageIds([viaSync], roomId));
    sent.push(await send(alice, roomId, "r4"));
    const c3 = await stream(server, bob, { since: viaSync.next_batch });
    await c3.until(() => messageIds(c3.syncs(), roomId).includes(sent.at(-1)!));
    seen.push(...messageIds(c3.syncs(), roomId));
    c3.close();

    expect(seen).toEqual(sent);
  });

  it("does not drop to-device messages a frame carried until the client presents a later token", async () => {
    const c = await stream(server, bob);
    const first = await c.sync(1);
    const put = await alice.put(`/_matrix/client/v3/sendToDevice/m.test/txn-ws-1`, {
      messages: { [bob.userId]: { [bob.deviceId]: { n: 1 } } },
    });
    expect(put.status).toBe(200);
    await c.until(() => c.syncs().some((d) => d.to_device.events.length > 0));
    const carried = c.syncs().find((d) => d.to_device.events.length > 0);
    expect(carried.to_device.events).toEqual([{ sender: alice.userId, type: "m.test", content: { n: 1 } }]);
    c.close();
    await c.closed;
    // The frame may never have arrived: from the earlier token the message is still there…
    const again = await sync(bob, { since: first.next_batch });
    expect(again.to_device.events).toEqual(carried.to_device.events);
    // …and from the later one it is not repeated.
    const after = await sync(bob, { since: again.next_batch });
    expect(after.to_device.events).toEqual([]);
  });
});

describe("WebSocket sync stream: sessions, flow control, liveness", () => {
  it("closes with 4401 after an M_UNKNOWN_TOKEN frame when the device logs out", async () => {
    const carol = await registerUser(server, "carol");
    const c = await stream(server, carol);
    await c.sync(1);
    expect((await carol.post("/_matrix/client/v3/logout")).status).toBe(200);
    expect((await c.closed).code).toBe(4401);
    expect(c.frames.at(-1)).toMatchObject({ type: "error", errcode: "M_UNKNOWN_TOKEN" });
  });

  it("holds at most a frame for a reader that stops reading; resuming from its last token loses and repeats nothing", async () => {
    const dave = await registerUser(server, "dave");
    const room = await createRoom(alice, { preset: "public_chat" });
    await join(dave, room);
    const filter = { room: { rooms: [room], timeline: { limit: 1000 } } };
    const c = await stream(server, dave, { filter });
    await c.sync(1);
    // The client stops reading: the kernel's buffers fill, then the server's write stalls.
    const socket = (c.ws as any)._socket as import("node:net").Socket;
    socket.pause();
    const body = "x".repeat(60_000);
    const sent: string[] = [];
    let maxBuffered = 0;
    const track = () => {
      maxBuffered = Math.max(maxBuffered, server.services.wsSync!.stats().bufferedBytes);
    };
    let stalled = false;
    for (let i = 0; i < 400 && !stalled; i++) {
      sent.push(await send(alice, room, { msgtype: "m.text", body: `${i} ${body}` }));
      track();
      if (i % 10 === 9) {
        await new Promise((r) => setTimeout(r, 20));
        track();
        stalled = server.services.wsSync!.stats().draining > 0;
      }
    }
    expect(stalled).toBe(true);
    // The server keeps one frame for it, not the backlog.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      track();
    }
    const more: string[] = [];
    for (let i = 0; i < 20; i++) more.push(await send(alice, room, { msgtype: "m.text", body: `late ${i}` }));
    track();
    sent.push(...more);
    const sentBytes = sent.length * body.length;
    expect(maxBuffered).toBeLessThan(sentBytes / 4);
    // After the drain deadline the server closes with 4000; the client, reading again, gets what was
    // buffered, then the close.
    await new Promise((r) => setTimeout(r, 1_600));
    socket.resume();
    const closed = await c.closed;
    expect(closed.code).toBe(4000);
    expect(maxBuffered).toBeLessThanOrEqual(c.largest + 1024);
    const got = messageIds(c.syncs(), room);
    const last = c.syncs().at(-1).next_batch as string;
    const resumed = await stream(server, dave, { since: last, filter });
    await resumed.until(() => messageIds(resumed.syncs(), room).includes(sent.at(-1)!), 10_000);
    got.push(...messageIds(resumed.syncs(), room));
    resumed.close();
    expect(got).toEqual(sent);
  }, 20_000);

  it("closes every stream with 1001 when the server shuts down", async () => {
    const other = await startTestServer();
    const erin = await registerUser(other, "erin");
    const c = await stream(other, erin);
    await c.sync(1);
    await other.destroy();
    expect((await c.closed).code).toBe(1001);
  });
});

describe("WebSocket sync stream: heartbeats, turned off, other upgrades", () => {
  let quick: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    quick = await startTestServer({}, undefined, { wsSync: { pingIntervalMs: 100 } });
    off = await startTestServer({ ws_sync: "off" });
  });
  afterAll(async () => {
    await quick?.destroy();
    await off?.destroy();
  });

  it("drops a peer that stops answering pings, and keeps one that answers", async () => {
    const frank = await registerUser(quick, "frank");
    const deaf = new Conn(quick.url, { autoPong: false });
    await deaf.send({ type: "auth", access_token: frank.accessToken });
    const alive = await stream(quick, frank);
    await deaf.sync(1);
    await alive.sync(1);
    const closed = await deaf.closed;
    expect(closed.code).toBe(1006);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    alive.close();
  });

  it("with ws_sync off: absent from /versions, and the upgrade is answered 404 M_UNRECOGNIZED", async () => {
    const res = await fetch(`${off.url}/_matrix/client/versions`);
    expect(((await res.json()) as { unstable_features: object }).unstable_features).not.toHaveProperty(
      "org.hearth.ws",
    );
    const c = new WebSocket(off.url.replace(/^http/, "ws") + WS_SYNC_PATH);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      c.on("unexpected-response", (_req, response) => {
        let body = "";
        response.on("data", (d: Buffer) => {
          body += d.toString();
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
      c.on("open", () => reject(new Error("upgraded")));
      c.on("error", () => {});
    });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ errcode: "M_UNRECOGNIZED" });
  });

  it("destroys WebSocket upgrades for other paths, and answers other upgrades (h2c) as plain HTTP", async () => {
    const upgrade = (path: string, protocol: string) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n` +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    expect(await rawRequest(server.port, upgrade("/_matrix/client/versions", "websocket"))).toBe("");
    expect(await rawRequest(server.port, upgrade("/elsewhere", "websocket"))).toBe("");
    const h2c = await rawRequest(server.port, upgrade("/_matrix/client/versions", "h2c"));
    expect(h2c).toMatch(/^HTTP\/1\.1 200 /);
    expect(h2c).toContain('"versions"');
  });
});

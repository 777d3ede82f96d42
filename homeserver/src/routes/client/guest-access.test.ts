// Guest access (Client-Server API, "Guest Access", "Room Previews"), through real HTTP: guest
// registration, the endpoints guests may and may not call, joining rooms by `m.room.guest_access`,
// guests leaving rooms that stop admitting them, reading `world_readable` rooms without joining, and
// upgrading a guest to a full account.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, invite, send, setState, sync, type User } from "../../services/sync/test-helpers.js";
import { Client, registerUser, startTestServer, type TestServer } from "../../testing/harness.js";

const REGISTER = "/_matrix/client/v3/register";
const enc = encodeURIComponent;

let server: TestServer;
let anon: Client;
let alice: User;

beforeAll(async () => {
  server = await startTestServer();
  anon = new Client(server.url);
  alice = await registerUser(server, "alice");
});
afterAll(() => server.destroy());

/** Registers a guest. */
async function newGuest(body: Record<string, unknown> = {}): Promise<User> {
  const res = await anon.post(`${REGISTER}?kind=guest`, body);
  if (res.status !== 200) throw new Error(`guest: ${res.status} ${JSON.stringify(res.body)}`);
  const client = anon.as(res.body.access_token) as User;
  client.userId = res.body.user_id;
  client.deviceId = res.body.device_id;
  return client;
}

function joinVia(user: Client, roomId: string, path: "join" | "rooms" = "join") {
  return user.post(
    path === "join"
      ? `/_matrix/client/v3/join/${enc(roomId)}`
      : `/_matrix/client/v3/rooms/${enc(roomId)}/join`,
    {},
  );
}

function membership(roomId: string, userId: string) {
  return alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`);
}

async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A public room (`public_chat`, so `guest_access: forbidden`) with guests admitted or not. */
async function publicRoom(guestAccess?: "can_join" | "forbidden", visibility?: string): Promise<string> {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  if (guestAccess) await setState(alice, roomId, "m.room.guest_access", { guest_access: guestAccess });
  if (visibility)
    await setState(alice, roomId, "m.room.history_visibility", { history_visibility: visibility });
  return roomId;
}

describe("guest registration", () => {
  it("gives a numeric user ID, a device and a guest access token; body parameters are ignored", async () => {
    const res = await anon.post(`${REGISTER}?kind=guest`, {
      username: "wanted",
      password: "secret",
      device_id: "MYDEVICE",
      inhibit_login: true,
      initial_device_display_name: "Guest phone",
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toMatch(/^@[1-9][0-9]{9}:localhost$/);
    expect(res.body.device_id).toMatch(/^[A-Z]{10}$/);
    expect(typeof res.body.access_token).toBe("string");
    expect(res.body.refresh_token).toBeUndefined();
    const guest = anon.as(res.body.access_token);
    const who = await guest.get("/_matrix/client/v3/account/whoami");
    expect(who.body).toEqual({ user_id: res.body.user_id, device_id: res.body.device_id, is_guest: true });
    const devices = await guest.get("/_matrix/client/v3/devices");
    expect(devices.body.devices).toEqual([
      expect.objectContaining({ device_id: res.body.device_id, display_name: "Guest phone" }),
    ]);
    // No password: the account cannot log in.
    const login = await anon.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: res.body.user_id },
      password: "secret",
    });
    expect(login.status).toBe(403);
  });

  it("gives each guest its own user ID", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await newGuest()).userId);
    expect(ids.size).toBe(5);
  });
});

describe("what guests may call", () => {
  let guest: User;
  beforeAll(async () => {
    guest = await newGuest();
  });

  it("refuses every endpoint not declared for guests with 403 M_GUEST_ACCESS_FORBIDDEN", async () => {
    const refused = server.routes.client.filter((r) => r.auth !== "none" && r.guest === undefined);
    expect(refused.length).toBeGreaterThan(40);
    for (const route of refused) {
      const path = route.paths[0]!.replace(/:([A-Za-z]+)/g, (_, n) =>
        n === "userId" ? enc(guest.userId) : "x",
      );
      const res = await guest.request(
        route.method,
        path.replace("*", "x"),
        route.method === "GET" ? undefined : {},
      );
      expect([res.status, res.body.errcode], `${route.method} ${path}`).toEqual([
        403,
        "M_GUEST_ACCESS_FORBIDDEN",
      ]);
    }
  });

  it("serves the spec's list and the account basics", async () => {
    for (const path of [
      "/_matrix/client/v3/account/whoami",
      "/_matrix/client/v3/devices",
      `/_matrix/client/v3/devices/${guest.deviceId}`,
      "/_matrix/client/v3/sync?timeout=0",
      "/_matrix/client/v3/capabilities",
      "/_matrix/client/v3/publicRooms",
      "/_matrix/client/versions",
      `/_matrix/client/v3/profile/${enc(alice.userId)}`,
      "/_matrix/client/v3/joined_rooms",
      "/_matrix/client/v3/voip/turnServer",
      `/_matrix/client/v3/presence/${enc(guest.userId)}/status`,
    ]) {
      expect((await guest.get(path)).status, path).toBe(200);
    }
    const filter = await guest.post(`/_matrix/client/v3/user/${enc(guest.userId)}/filter`, {});
    expect(filter.status).toBe(200);
    const keys = await guest.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(keys.status).toBe(200);
    const toDevice = await guest.put("/_matrix/client/v3/sendToDevice/m.test/t1", { messages: {} });
    expect(toDevice.status).toBe(200);
    const data = await guest.put(`/_matrix/client/v3/user/${enc(guest.userId)}/account_data/m.test`, {
      a: 1,
    });
    expect(data.status).toBe(200);
  });

  it("lets guests change their display name and no other profile field", async () => {
    const base = `/_matrix/client/v3/profile/${enc(guest.userId)}`;
    expect((await guest.put(`${base}/displayname`, { displayname: "Visitor" })).status).toBe(200);
    expect((await guest.get(`${base}/displayname`)).body).toEqual({ displayname: "Visitor" });
    const avatar = await guest.put(`${base}/avatar_url`, { avatar_url: "mxc://localhost/a" });
    expect([avatar.status, avatar.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    const custom = await guest.delete(`${base}/m.custom`);
    expect(custom.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    expect((await guest.delete(`${base}/displayname`)).status).toBe(200);
  });

  it("refuses the global event stream and initial sync, and room creation", async () => {
    const events = await guest.get("/_matrix/client/v3/events?timeout=0");
    expect([events.status, events.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    const initial = await guest.get("/_matrix/client/v3/initialSync");
    expect(initial.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    const create = await guest.post("/_matrix/client/v3/createRoom", {});
    expect([create.status, create.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

describe("guests in rooms", () => {
  it("join only rooms whose m.room.guest_access is can_join", async () => {
    const guest = await newGuest();
    const closed = await publicRoom();
    for (const via of ["join", "rooms"] as const) {
      const res = await joinVia(guest, closed, via);
      expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    }
    // An invite does not help: the room still does not admit guests.
    const privateForbidden = await createRoom(alice, { preset: "private_chat" });
    await setState(alice, privateForbidden, "m.room.guest_access", { guest_access: "forbidden" });
    await invite(alice, privateForbidden, guest.userId);
    expect((await joinVia(guest, privateForbidden)).status).toBe(403);

    const open = await publicRoom("can_join");
    expect((await joinVia(guest, open, "rooms")).status).toBe(200);
    const member = await membership(open, guest.userId);
    // A normal join: whether a user is a guest is not sent to other servers.
    expect(member.body).toEqual({ membership: "join" });
    // Once in, the guest sends messages and sees the room in /sync.
    await send(guest, open, "hello from a guest");
    const msgs = await alice.get(`/_matrix/client/v3/rooms/${enc(open)}/messages?dir=b&limit=1`);
    expect(msgs.body.chunk[0]).toMatchObject({
      sender: guest.userId,
      content: { body: "hello from a guest" },
    });
    const s = await sync(guest);
    expect(
      s.rooms.join[open].timeline.events.map((e: { content: { body?: string } }) => e.content.body),
    ).toContain("hello from a guest");
    // And may leave.
    expect((await guest.post(`/_matrix/client/v3/rooms/${enc(open)}/leave`, {})).status).toBe(200);
  });

  it("accept invites to private_chat rooms, whose preset admits guests", async () => {
    const guest = await newGuest();
    const roomId = await createRoom(alice, { preset: "private_chat", invite: [guest.userId] });
    expect((await sync(guest)).rooms.invite[roomId]).toBeDefined();
    expect((await joinVia(guest, roomId)).status).toBe(200);
  });

  it("may not invite, kick or send into rooms they are not in", async () => {
    const guest = await newGuest();
    const roomId = await publicRoom("can_join");
    const inv = await guest.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: alice.userId });
    expect(inv.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    const res = await guest.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/x1`, {
      msgtype: "m.text",
      body: "not joined",
    });
    expect(res.status).toBe(403);
  });

  it("leave, joined or invited, when the room stops admitting guests; full users stay", async () => {
    const joined = await newGuest();
    const invited = await newGuest();
    const bob = await registerUser(server, "bob");
    const roomId = await publicRoom("can_join");
    expect((await joinVia(joined, roomId)).status).toBe(200);
    expect((await joinVia(bob, roomId)).status).toBe(200);
    await invite(alice, roomId, invited.userId);
    await setState(alice, roomId, "m.room.guest_access", { guest_access: "forbidden" });
    await until(async () => {
      const a = (await membership(roomId, joined.userId)).body.membership;
      const b = (await membership(roomId, invited.userId)).body.membership;
      return a === "leave" && b === "leave";
    });
    expect((await membership(roomId, bob.userId)).body.membership).toBe("join");
    const left = await alice.get(
      `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(joined.userId)}?format=event`,
    );
    // The guest leaves by its own event.
    expect(left.body.sender).toBe(joined.userId);
    // And may not come back.
    expect((await joinVia(joined, roomId)).status).toBe(403);
  });

  it("read world_readable rooms without joining, and nothing else", async () => {
    const guest = await newGuest();
    const readable = await publicRoom(undefined, "world_readable");
    await send(alice, readable, "for everyone");
    const base = `/_matrix/client/v3/rooms/${enc(readable)}`;
    const msgs = await guest.get(`${base}/messages?dir=b&limit=5`);
    expect(msgs.status).toBe(200);
    expect(msgs.body.chunk.map((e: { content: { body?: string } }) => e.content.body)).toContain(
      "for everyone",
    );
    expect((await guest.get(`${base}/state`)).status).toBe(200);
    expect((await guest.get(`${base}/state/m.room.member/${enc(alice.userId)}`)).body.membership).toBe(
      "join",
    );
    expect((await guest.get(`${base}/members`)).status).toBe(200);
    const initial = await guest.get(`${base}/initialSync`);
    expect(initial.status).toBe(200);
    expect(initial.body.messages.chunk.map((e: { content: { body?: string } }) => e.content.body)).toContain(
      "for everyone",
    );
    const peek = await guest.get(
      `/_matrix/client/v3/events?room_id=${enc(readable)}&timeout=0&from=${enc(initial.body.messages.end)}`,
    );
    expect(peek.status).toBe(200);
    expect(peek.body.chunk).toEqual([]);

    const hidden = await publicRoom(undefined, "shared");
    const hbase = `/_matrix/client/v3/rooms/${enc(hidden)}`;
    for (const path of [`${hbase}/messages?dir=b`, `${hbase}/state`, `${hbase}/initialSync`]) {
      expect((await guest.get(path)).status, path).toBe(403);
    }
    expect((await guest.get(`/_matrix/client/v3/events?room_id=${enc(hidden)}&timeout=0`)).status).toBe(403);
  });
});

describe("previewing a world_readable room with /events", () => {
  it("delivers its new events, receipts, typing and its members' presence, from an initialSync token", async () => {
    const guest = await newGuest();
    const outsider = await registerUser(server, "outsider");
    const roomId = await publicRoom(undefined, "world_readable");
    const initial = await guest.get(`/_matrix/client/v3/rooms/${enc(roomId)}/initialSync`);
    let from = initial.body.messages.end as string;
    const seen: Record<string, any>[] = [];
    /** Calls /events from the last token until an event `match` accepts arrives. */
    async function next(match: (e: Record<string, any>) => boolean): Promise<Record<string, any>> {
      for (let i = 0; i < 20; i++) {
        const res = await guest.get(
          `/_matrix/client/v3/events?room_id=${enc(roomId)}&timeout=2000&from=${enc(from)}`,
        );
        expect(res.status).toBe(200);
        from = res.body.end;
        seen.push(...res.body.chunk);
        const found = (res.body.chunk as Record<string, any>[]).find(match);
        if (found) return found;
      }
      throw new Error("no such event");
    }
    const eventId = await send(alice, roomId, "mice");
    expect(await next((e) => e.type === "m.room.message")).toMatchObject({
      room_id: roomId,
      content: { body: "mice" },
    });

    await outsider.put(`/_matrix/client/v3/presence/${enc(outsider.userId)}/status`, { presence: "online" });
    await alice.put(`/_matrix/client/v3/presence/${enc(alice.userId)}/status`, {
      presence: "online",
      status_msg: "here",
    });
    const presence = await next((e) => e.type === "m.presence");
    expect(presence.content).toMatchObject({ user_id: alice.userId, status_msg: "here" });
    // Only the room's members: not the outsider's.
    expect(seen.filter((e) => e.type === "m.presence" && e.sender === outsider.userId)).toEqual([]);

    await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    const receipt = await next((e) => e.type === "m.receipt");
    expect(receipt.content[eventId]["m.read"][alice.userId]).toBeDefined();

    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, {
      typing: true,
      timeout: 5000,
    });
    const typing = await next((e) => e.type === "m.typing");
    expect(typing).toMatchObject({ room_id: roomId, content: { user_ids: [alice.userId] } });

    // Nothing new: an empty chunk at once with timeout=0 (no busy loop for the client).
    const idle = await guest.get(
      `/_matrix/client/v3/events?room_id=${enc(roomId)}&timeout=0&from=${enc(from)}`,
    );
    expect(idle.body.chunk.filter((e: { type: string }) => e.type === "m.room.message")).toEqual([]);
  });
});

describe("room presets and m.room.guest_access", () => {
  it("public_chat forbids guests; private_chat and trusted_private_chat admit them", async () => {
    for (const [preset, expected] of [
      ["public_chat", "forbidden"],
      ["private_chat", "can_join"],
      ["trusted_private_chat", "can_join"],
    ] as const) {
      const roomId = await createRoom(alice, { preset });
      const res = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.guest_access/`);
      expect(res.body, preset).toEqual({ guest_access: expected });
    }
  });

  it("the directory says which public rooms guests can join", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", visibility: "public" });
    await setState(alice, roomId, "m.room.guest_access", { guest_access: "can_join" });
    const res = await anon.get("/_matrix/client/v3/publicRooms");
    expect(res.body.chunk.find((r: { room_id: string }) => r.room_id === roomId)).toMatchObject({
      guest_can_join: true,
    });
  });
});

describe("upgrading a guest", () => {
  it("keeps the user ID, rooms and profile, and makes every token a full user's", async () => {
    const guest = await newGuest();
    const roomId = await publicRoom("can_join");
    expect((await joinVia(guest, roomId)).status).toBe(200);
    await guest.put(`/_matrix/client/v3/profile/${enc(guest.userId)}/displayname`, { displayname: "Kept" });
    const localpart = guest.userId.slice(1, guest.userId.indexOf(":"));
    const body = { username: localpart, password: "now a member", guest_access_token: guest.accessToken };

    const first = await anon.post(REGISTER, body);
    expect(first.status).toBe(401);
    const res = await anon.post(REGISTER, {
      ...body,
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(guest.userId);
    expect(res.body.device_id).not.toBe(guest.deviceId);

    const member = anon.as(res.body.access_token);
    for (const client of [member, guest]) {
      const who = await client.get("/_matrix/client/v3/account/whoami");
      expect(who.body).toMatchObject({ user_id: guest.userId, is_guest: false });
    }
    expect((await member.get("/_matrix/client/v3/joined_rooms")).body.joined_rooms).toContain(roomId);
    expect((await anon.get(`/_matrix/client/v3/profile/${enc(guest.userId)}`)).body).toEqual({
      displayname: "Kept",
    });
    expect((await member.post("/_matrix/client/v3/createRoom", {})).status).toBe(200);
    // A room that does not admit guests now admits them.
    expect((await joinVia(member, await publicRoom())).status).toBe(200);
    const login = await anon.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: localpart },
      password: "now a member",
    });
    expect(login.status).toBe(200);
    // It is done: the token cannot upgrade again.
    const again = await anon.post(REGISTER, { ...body, auth: { type: "m.login.dummy" } });
    expect([again.status, again.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
  });

  it("needs the guest's own token and localpart", async () => {
    const one = await newGuest();
    const two = await newGuest();
    const localpart = one.userId.slice(1, one.userId.indexOf(":"));
    const auth = { type: "m.login.dummy" };
    const other = await anon.post(REGISTER, {
      username: localpart,
      guest_access_token: two.accessToken,
      auth,
    });
    expect([other.status, other.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    const unknown = await anon.post(REGISTER, { username: localpart, guest_access_token: "nope", auth });
    expect([unknown.status, unknown.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    const noName = await anon.post(REGISTER, { guest_access_token: one.accessToken, auth });
    expect([noName.status, noName.body.errcode]).toEqual([400, "M_MISSING_PARAM"]);
    const taken = await anon.post(REGISTER, { username: localpart, auth });
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    // A full user's token is no guest's.
    const full = await anon.post(REGISTER, {
      username: "alice",
      guest_access_token: alice.accessToken,
      auth,
    });
    expect(full.body.errcode).toBe("M_FORBIDDEN");
    expect((await one.get("/_matrix/client/v3/account/whoami")).body.is_guest).toBe(true);
  });
});

describe("guest access switched off", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer({ allow_guest_access: false });
  });
  afterAll(() => off.destroy());

  it("refuses kind=guest with 403 M_GUEST_ACCESS_FORBIDDEN; users still register", async () => {
    const res = await new Client(off.url).post(`${REGISTER}?kind=guest`, {});
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    expect((await registerUser(off, "carol")).userId).toBe("@carol:localhost");
  });
});

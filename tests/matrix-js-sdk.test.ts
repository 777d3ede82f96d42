/**
 * A real Matrix client, matrix-js-sdk 37.5.0 (headless, no crypto), against a Hearth process: two
 * users register, log in, create a room, invite, join, talk both ways through `/sync`, change a
 * display name, redact, scroll back through 200 messages and leave.
 */
import {
  ClientEvent,
  createClient,
  EventType,
  type MatrixClient,
  type MatrixEvent,
  MemoryStore,
  MsgType,
  Preset,
  type Room,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
} from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silent } from "./support/e2ee.js";
import { Client, expectStatus } from "./support/matrix.js";
import { type HearthProcess, ProcessGroup } from "./support/process.js";

const PASSWORD = "sdk password 1234";
const WAIT_MS = 10_000;

/**
 * Resolves once `check()` holds: evaluated now and after each of `events` emitted by `client`;
 * rejects after `timeoutMs` naming `what`. Listening to the client's state (not to one event) keeps
 * it free of races between an action and its echo.
 */
function waitFor(
  client: MatrixClient,
  events: readonly string[],
  check: () => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const emitter = client as unknown as {
      on(e: string, f: () => void): void;
      off(e: string, f: () => void): void;
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const e of events) emitter.off(e, onEvent);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = () => {
      try {
        if (check()) done();
      } catch (e) {
        done(e as Error);
      }
    };
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
    for (const e of events) emitter.on(e, onEvent);
    onEvent();
  });
}

/** The bodies of the `m.room.message` events in a room's live timeline, oldest first. */
function bodies(room: Room | null): string[] {
  return (room?.getLiveTimeline().getEvents() ?? [])
    .filter((e: MatrixEvent) => e.getType() === EventType.RoomMessage && !e.isRedacted())
    .map((e) => e.getContent().body as string);
}

describe("matrix-js-sdk 37.5.0", () => {
  const group = new ProcessGroup();
  const clients: MatrixClient[] = [];
  let hs: HearthProcess;

  function sdk(opts: { userId?: string; deviceId?: string; accessToken?: string } = {}): MatrixClient {
    const c = createClient({ baseUrl: hs.url, store: new MemoryStore(), logger: silent, ...opts });
    clients.push(c);
    return c;
  }

  /** Registers through the SDK (the 401 user-interactive round trip, then `m.login.dummy`). */
  async function sdkRegister(localpart: string): Promise<void> {
    const anon = sdk();
    let session: string | undefined;
    try {
      await anon.registerRequest({ username: localpart, password: PASSWORD });
    } catch (e) {
      session = (e as { data?: { session?: string } }).data?.session;
    }
    const reg = await anon.registerRequest({
      username: localpart,
      password: PASSWORD,
      auth: { type: "m.login.dummy", session },
    });
    expect(reg.user_id).toBe(`@${localpart}:localhost`);
  }

  /** Logs in with the SDK and returns a started client, once its first sync is prepared. */
  async function loginAndStart(localpart: string, initialSyncLimit = 20): Promise<MatrixClient> {
    const login = await sdk().loginWithPassword(`@${localpart}:localhost`, PASSWORD);
    const c = sdk({ userId: login.user_id, deviceId: login.device_id, accessToken: login.access_token });
    const prepared = waitFor(
      c,
      [ClientEvent.Sync],
      () => c.getSyncState() === SyncState.Prepared || c.getSyncState() === SyncState.Syncing,
      `${localpart}'s first sync`,
    );
    await c.startClient({ initialSyncLimit });
    await prepared;
    return c;
  }

  beforeAll(async () => {
    hs = await group.start();
  }, 90_000);

  afterAll(async () => {
    // stopClient() leaves some of the SDK's timers behind. vitest's default pool ("forks", isolated)
    // runs this file in its own child process and ends it (SIGTERM, then SIGKILL) after the file, so
    // they cannot keep the run alive; the Hearth process is killed here and on that SIGTERM.
    for (const c of clients) c.stopClient();
    await group.cleanup();
  });

  it("drives two users through a room's life", async () => {
    await sdkRegister("alice");
    await sdkRegister("bob");
    const alice = await loginAndStart("alice");
    const bob = await loginAndStart("bob");
    const aliceId = alice.getUserId()!;
    const bobId = bob.getUserId()!;

    // Create, invite, join.
    const { room_id: roomId } = await alice.createRoom({ name: "SDK room", preset: Preset.PrivateChat });
    await waitFor(
      alice,
      [ClientEvent.Room, RoomEvent.MyMembership],
      () => alice.getRoom(roomId)?.getMyMembership() === "join",
      "alice in her room",
    );
    await alice.invite(roomId, bobId);
    await waitFor(
      bob,
      [ClientEvent.Room, RoomEvent.MyMembership],
      () => bob.getRoom(roomId)?.getMyMembership() === "invite",
      "bob's invite",
    );
    await bob.joinRoom(roomId);
    await waitFor(
      bob,
      [RoomEvent.MyMembership, RoomEvent.Timeline],
      () => bob.getRoom(roomId)?.getMyMembership() === "join",
      "bob joined",
    );
    await waitFor(
      alice,
      [RoomMemberEvent.Membership],
      () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join",
      "alice sees bob join",
    );
    expect(bob.getRoom(roomId)?.name).toBe("SDK room");

    // Messages both ways, through /sync.
    await alice.sendTextMessage(roomId, "hello bob");
    await waitFor(
      bob,
      [RoomEvent.Timeline],
      () => bodies(bob.getRoom(roomId)).includes("hello bob"),
      "bob receives alice's message",
    );
    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: "hello alice" });
    await waitFor(
      alice,
      [RoomEvent.Timeline],
      () => bodies(alice.getRoom(roomId)).includes("hello alice"),
      "alice receives bob's message",
    );
    const bobEvent = alice
      .getRoom(roomId)!
      .getLiveTimeline()
      .getEvents()
      .find((e) => e.getContent().body === "hello alice")!;
    expect(bobEvent.getSender()).toBe(bobId);
    expect(bodies(bob.getRoom(roomId))).toEqual(["hello bob", "hello alice"]);

    // A display name change reaches the other user as a member event.
    await alice.setDisplayName("Alice Liddell");
    await waitFor(
      bob,
      [RoomMemberEvent.Name, RoomEvent.Timeline],
      () => bob.getRoom(roomId)?.getMember(aliceId)?.name === "Alice Liddell",
      "bob sees alice's new name",
    );
    const memberEvent = bob.getRoom(roomId)!.currentState.getStateEvents(EventType.RoomMember, aliceId);
    expect(memberEvent?.getContent()).toMatchObject({ membership: "join", displayname: "Alice Liddell" });

    // A redaction reaches the other user: the event stays in the timeline, its content gone.
    const { event_id: oops } = await alice.sendTextMessage(roomId, "oops, wrong room");
    await waitFor(
      bob,
      [RoomEvent.Timeline],
      () => bob.getRoom(roomId)?.findEventById(oops) !== undefined,
      "bob receives the message to redact",
    );
    await alice.redactEvent(roomId, oops);
    await waitFor(
      bob,
      [RoomEvent.Redaction, RoomEvent.Timeline],
      () => bob.getRoom(roomId)?.findEventById(oops)?.isRedacted() === true,
      "bob sees the redaction",
    );
    expect(bob.getRoom(roomId)!.findEventById(oops)!.getContent()).toEqual({});

    // 200 messages (over plain HTTP, to be quick), then a fresh client for bob with a short initial
    // timeline scrolls back until it has all of them, in order.
    const http = new Client(hs.url, alice.getAccessToken()!);
    for (let i = 0; i < 200; i++) {
      expectStatus(
        `send ${i}`,
        await http.put(
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/scroll-${i}`,
          {
            msgtype: "m.text",
            body: `scroll ${i}`,
          },
        ),
      );
    }
    const expected = Array.from({ length: 200 }, (_, i) => `scroll ${i}`);
    await waitFor(
      bob,
      [RoomEvent.Timeline],
      () => bodies(bob.getRoom(roomId)).includes("scroll 199"),
      "bob receives the 200th message",
    );

    const bobFresh = await loginAndStart("bob", 5);
    const room = bobFresh.getRoom(roomId)!;
    expect(room).not.toBeNull();
    const scrolled = () => bodies(room).filter((b) => b.startsWith("scroll "));
    expect(scrolled().length).toBeLessThanOrEqual(5);
    for (let page = 0; page < 50 && scrolled().length < 200; page++) {
      const before = room.getLiveTimeline().getEvents().length;
      await bobFresh.scrollback(room, 30);
      if (room.getLiveTimeline().getEvents().length === before) break;
    }
    expect(scrolled()).toEqual(expected);
    // Everything before is there too, in order: the earlier messages, the room's creation.
    expect(bodies(room).slice(0, 2)).toEqual(["hello bob", "hello alice"]);
    await bobFresh.scrollback(room, 30);
    expect(room.getLiveTimeline().getEvents()[0]?.getType()).toBe(EventType.RoomCreate);

    // Leave: alice sees it, bob's membership is "leave".
    await bob.leave(roomId);
    await waitFor(
      alice,
      [RoomMemberEvent.Membership],
      () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "leave",
      "alice sees bob leave",
    );
    await waitFor(
      bob,
      [RoomEvent.MyMembership],
      () => bob.getRoom(roomId)?.getMyMembership() === "leave",
      "bob's own leave",
    );
  }, 120_000);
});

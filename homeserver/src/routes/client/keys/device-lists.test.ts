// Device-list tracking through HTTP ("Tracking the device list for a user", "Extensions to /sync"),
// key details (`unsigned` in /keys/query, signature visibility) and the unstable key paths.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

type User = Client & { userId: string; deviceId: string };
let server: TestServer;
const enc = encodeURIComponent;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.destroy();
});

function deviceKeys(user: { userId: string; deviceId: string }, tag = "1") {
  return {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: { [`curve25519:${user.deviceId}`]: `curve-${tag}`, [`ed25519:${user.deviceId}`]: `ed-${tag}` },
    signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: `sig-${tag}` } },
  };
}

const csKey = (userId: string, usage: string, pub: string) => ({
  user_id: userId,
  usage: [usage],
  keys: { [`ed25519:${pub}`]: pub },
});

/** A sync position to read device-list changes from. */
async function token(user: Client): Promise<string> {
  return (await user.get("/_matrix/client/v3/sync?timeout=0")).body.next_batch as string;
}

/**
 * Syncs from `since` until `done` holds for the device lists seen so far (the changes that follow a
 * membership event are recorded just after it), or 5 s pass; returns what was seen and the last token.
 */
async function deviceLists(
  user: Client,
  since: string,
  done: (seen: { changed: Set<string>; left: Set<string> }) => boolean,
): Promise<{ changed: Set<string>; left: Set<string>; next: string }> {
  const seen = { changed: new Set<string>(), left: new Set<string>() };
  let next = since;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await user.get(`/_matrix/client/v3/sync?since=${enc(next)}&timeout=200`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const u of res.body.device_lists?.changed ?? []) seen.changed.add(u);
    for (const u of res.body.device_lists?.left ?? []) seen.left.add(u);
    next = res.body.next_batch;
    if (done(seen) || Date.now() > deadline) return { ...seen, next };
  }
}

/** Whether nothing more arrives for a short while: reads 400 ms of syncs. */
async function quietly(user: Client, since: string) {
  const until = Date.now() + 400;
  return deviceLists(user, since, () => Date.now() > until);
}

describe("device_lists in /sync and /keys/changes", () => {
  let alice: User;
  let bob: User;
  let carol: User;
  let room: string;

  beforeAll(async () => {
    alice = await registerUser(server, "dl-alice", PASSWORD);
    bob = await registerUser(server, "dl-bob", PASSWORD);
    carol = await registerUser(server, "dl-carol", PASSWORD);
    room = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body.room_id;
    await bob.post(`/_matrix/client/v3/join/${enc(room)}`);
  });

  it("lists a co-member who uploads new device keys, deletes a device or changes cross-signing keys", async () => {
    const strangerSince = await token(carol);
    let since = await token(bob);
    await alice.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(alice) });
    let seen = await deviceLists(bob, since, (s) => s.changed.has(alice.userId));
    expect([...seen.changed]).toContain(alice.userId);

    // A second device, then deleting it.
    const login = await alice.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "dl-alice" },
      password: PASSWORD,
    });
    since = (await deviceLists(bob, seen.next, (s) => s.changed.has(alice.userId))).next;
    const challenge = await alice.delete(`/_matrix/client/v3/devices/${enc(login.body.device_id)}`, {});
    const deleted = await alice.delete(`/_matrix/client/v3/devices/${enc(login.body.device_id)}`, {
      auth: {
        type: "m.login.password",
        session: challenge.body.session,
        identifier: { type: "m.id.user", user: "dl-alice" },
        password: PASSWORD,
      },
    });
    expect(deleted.status).toBe(200);
    seen = await deviceLists(bob, since, (s) => s.changed.has(alice.userId));
    expect([...seen.changed]).toContain(alice.userId);

    // Cross-signing keys.
    since = seen.next;
    const up = await alice.post("/_matrix/client/v3/keys/device_signing/upload", {
      master_key: csKey(alice.userId, "master", "ALICEMASTER"),
      self_signing_key: csKey(alice.userId, "self_signing", "ALICESELF"),
      user_signing_key: csKey(alice.userId, "user_signing", "ALICEUSER"),
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    seen = await deviceLists(bob, since, (s) => s.changed.has(alice.userId));
    expect([...seen.changed]).toContain(alice.userId);
    // A stranger is never told.
    const strangers = await quietly(carol, strangerSince);
    expect([...strangers.changed]).not.toContain(alice.userId);
  });

  it("lists a user who newly shares a room, both ways, and in left once no room is shared", async () => {
    const aliceSince = await token(alice);
    const carolSince = await token(carol);
    expect((await carol.post(`/_matrix/client/v3/join/${enc(room)}`)).status).toBe(200);
    // Alice: Carol now shares a room with her.
    const a = await deviceLists(alice, aliceSince, (s) => s.changed.has(carol.userId));
    expect([...a.changed]).toContain(carol.userId);
    // Carol joined: everyone in the room is new to her.
    const c = await deviceLists(
      carol,
      carolSince,
      (s) => s.changed.has(alice.userId) && s.changed.has(bob.userId),
    );
    expect([...c.changed].sort()).toEqual([alice.userId, bob.userId].sort());
    expect([...c.left]).toEqual([]);

    // A second shared room: joining it tells nobody anything new.
    const other = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" })).body.room_id;
    const before = await token(alice);
    await carol.post(`/_matrix/client/v3/join/${enc(other)}`);
    const again = await quietly(alice, before);
    expect([...again.changed]).not.toContain(carol.userId);

    // Carol leaves one room: she still shares the other with Alice, and the first with nobody else.
    const leaveSince = { alice: await token(alice), bob: await token(bob), carol: await token(carol) };
    await carol.post(`/_matrix/client/v3/rooms/${enc(room)}/leave`);
    const bobSees = await deviceLists(bob, leaveSince.bob, (s) => s.left.has(carol.userId));
    expect([...bobSees.left]).toEqual([carol.userId]);
    const carolSees = await deviceLists(carol, leaveSince.carol, (s) => s.left.has(bob.userId));
    expect([...carolSees.left]).toEqual([bob.userId]);
    const aliceSees = await quietly(alice, leaveSince.alice);
    expect([...aliceSees.left]).toEqual([]);

    // /keys/changes says the same between the two tokens.
    const changes = await bob.get(
      `/_matrix/client/v3/keys/changes?from=${enc(leaveSince.bob)}&to=${enc(bobSees.next)}`,
    );
    expect(changes.status).toBe(200);
    expect(changes.body.left).toEqual([carol.userId]);
    expect(changes.body.changed).not.toContain(carol.userId);
    // At the unstable path too.
    const unstable = await bob.get(
      `/_matrix/client/unstable/keys/changes?from=${enc(leaveSince.bob)}&to=${enc(bobSees.next)}`,
    );
    expect(unstable.body).toEqual(changes.body);

    // Back in the room: Bob is told she shares one with him again.
    const rejoin = await token(bob);
    await carol.post(`/_matrix/client/v3/join/${enc(room)}`);
    const back = await deviceLists(bob, rejoin, (s) => s.changed.has(carol.userId));
    expect([...back.changed]).toContain(carol.userId);
    expect([...back.left]).toEqual([]);
  });

  it("tells only the signer of another user's master key, and shows the signature to the signer only", async () => {
    await bob.post("/_matrix/client/v3/keys/device_signing/upload", {
      master_key: csKey(bob.userId, "master", "BOBMASTER"),
      self_signing_key: csKey(bob.userId, "self_signing", "BOBSELF"),
      user_signing_key: csKey(bob.userId, "user_signing", "BOBUSER"),
    });
    const since = { alice: await token(alice), bob: await token(bob), carol: await token(carol) };
    const signed = await bob.post("/_matrix/client/unstable/keys/signatures/upload", {
      [alice.userId]: {
        ALICEMASTER: {
          ...csKey(alice.userId, "master", "ALICEMASTER"),
          signatures: { [bob.userId]: { "ed25519:BOBUSER": "bob-verifies-alice" } },
        },
      },
    });
    expect(signed.body).toEqual({ failures: {} });
    const bobSees = await deviceLists(bob, since.bob, (s) => s.changed.has(alice.userId));
    expect([...bobSees.changed]).toContain(alice.userId);
    const carolSees = await quietly(carol, since.carol);
    expect([...carolSees.changed]).not.toContain(alice.userId);

    const query = (who: Client) =>
      who.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect((await query(bob)).body.master_keys[alice.userId].signatures).toEqual({
      [bob.userId]: { "ed25519:BOBUSER": "bob-verifies-alice" },
    });
    expect((await query(carol)).body.master_keys[alice.userId].signatures).toBeUndefined();
    expect((await query(alice)).body.master_keys[alice.userId].signatures).toBeUndefined();
  });
});

describe("key details", () => {
  it("adds unsigned (with device_display_name when there is one) to every device in /keys/query", async () => {
    const dana = await registerUser(server, "kd-dana", PASSWORD);
    await dana.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(dana) });
    const q = () => dana.post("/_matrix/client/v3/keys/query", { device_keys: { [dana.userId]: [] } });
    expect((await q()).body.device_keys[dana.userId][dana.deviceId].unsigned).toEqual({});
    await dana.put(`/_matrix/client/v3/devices/${enc(dana.deviceId)}`, { display_name: "Dana's laptop" });
    const named = (await q()).body.device_keys[dana.userId][dana.deviceId];
    expect(named.unsigned).toEqual({ device_display_name: "Dana's laptop" });
    // The keys themselves are as uploaded.
    const { unsigned: _u, ...keys } = named;
    expect(keys).toEqual(deviceKeys(dana));
  });

  it("serves the cross-signing uploads at the unstable and r0 paths clients call", async () => {
    const erin = await registerUser(server, "kd-erin", PASSWORD);
    // matrix-js-sdk 37 uploads cross-signing keys to the unstable path.
    const up = await erin.post("/_matrix/client/unstable/keys/device_signing/upload", {
      master_key: csKey(erin.userId, "master", "ERINMASTER"),
      self_signing_key: csKey(erin.userId, "self_signing", "ERINSELF"),
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const r0 = await erin.post("/_matrix/client/r0/keys/device_signing/upload", {
      master_key: csKey(erin.userId, "master", "ERINMASTER"),
      user_signing_key: csKey(erin.userId, "user_signing", "ERINUSER"),
    });
    expect(r0.status, JSON.stringify(r0.body)).toBe(200);
    await erin.post("/_matrix/client/r0/keys/upload", { device_keys: deviceKeys(erin) });
    const sig = await erin.post("/_matrix/client/r0/keys/signatures/upload", {
      [erin.userId]: {
        [erin.deviceId]: {
          ...deviceKeys(erin),
          signatures: { [erin.userId]: { "ed25519:ERINSELF": "self-signed" } },
        },
      },
    });
    expect(sig.body).toEqual({ failures: {} });
    const q = await erin.post("/_matrix/client/unstable/keys/query", { device_keys: { [erin.userId]: [] } });
    expect(q.body.user_signing_keys[erin.userId]).toEqual(csKey(erin.userId, "user_signing", "ERINUSER"));
    expect(q.body.device_keys[erin.userId][erin.deviceId].signatures[erin.userId]["ed25519:ERINSELF"]).toBe(
      "self-signed",
    );
  });
});

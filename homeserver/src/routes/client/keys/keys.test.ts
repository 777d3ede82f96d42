// End-to-end encryption key management through HTTP ("Key management API", "Cross-signing").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string; deviceId: string };
let bob: Client & { userId: string; deviceId: string };
const enc = encodeURIComponent;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice", PASSWORD);
  bob = await registerUser(server, "bob", PASSWORD);
  // They share a room, so each sees the other's key changes.
  const room = await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat" });
  await bob.post(`/_matrix/client/v3/join/${enc(room.body.room_id)}`);
});
afterAll(async () => {
  await server.destroy();
});

function deviceKeys(user: { userId: string; deviceId: string }, tag = "1") {
  return {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: {
      [`curve25519:${user.deviceId}`]: `curve-${tag}`,
      [`ed25519:${user.deviceId}`]: `ed-${tag}`,
    },
    signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: `sig-${tag}` } },
  };
}

function otk(id: string) {
  return { [`signed_curve25519:${id}`]: { key: `otk-${id}`, signatures: { "@x:y": { "ed25519:X": "s" } } } };
}

describe("keys", () => {
  it("uploads device, one-time and fallback keys; counts them in the answer and in /sync", async () => {
    const before = await bob.get("/_matrix/client/v3/sync");
    const up = await alice.post("/_matrix/client/v3/keys/upload", {
      device_keys: deviceKeys(alice),
      one_time_keys: { ...otk("A1"), ...otk("A2"), ...otk("A3") },
      fallback_keys: { "signed_curve25519:F1": { key: "fallback", fallback: true, signatures: {} } },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.one_time_key_counts).toEqual({ signed_curve25519: 3 });
    const sync = await alice.get("/_matrix/client/v3/sync");
    expect(sync.body.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    expect(sync.body.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
    // Bob, in a room with Alice, is told her keys changed.
    const after = await bob.get(`/_matrix/client/v3/sync?since=${before.body.next_batch}&timeout=0`);
    expect(after.body.device_lists.changed).toContain(alice.userId);
    const changes = await bob.get(
      `/_matrix/client/v3/keys/changes?from=${enc(before.body.next_batch)}&to=${enc(after.body.next_batch)}`,
    );
    expect(changes.body).toEqual({ changed: [alice.userId], left: [] });
  });

  it("refuses keys for another user or device, and a one-time key ID reused with another key", async () => {
    const wrong = await bob.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(alice) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errcode).toBe("M_INVALID_PARAM");
    const reused = await alice.post("/_matrix/client/v3/keys/upload", {
      one_time_keys: { "signed_curve25519:A1": { key: "different" } },
    });
    expect(reused.status).toBe(400);
    // The same key again is fine (a retried upload).
    const again = await alice.post("/_matrix/client/v3/keys/upload", { one_time_keys: otk("A1") });
    expect(again.body.one_time_key_counts.signed_curve25519).toBe(3);
    const bad = await alice.post("/_matrix/client/v3/keys/upload", { one_time_keys: { nocolon: "x" } });
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("answers key queries with the device keys and display names", async () => {
    const res = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(res.status).toBe(200);
    const k = res.body.device_keys[alice.userId][alice.deviceId];
    expect(k).toMatchObject(deviceKeys(alice));
    expect(res.body.failures).toEqual({});
    const none = await bob.post("/_matrix/client/v3/keys/query", {
      device_keys: { [alice.userId]: ["NOSUCHDEVICE"] },
    });
    expect(none.body.device_keys[alice.userId]).toEqual({});
    expect((await bob.post("/_matrix/client/v3/keys/query", {})).body.errcode).toBe("M_BAD_JSON");
  });

  it("hands out each one-time key once, then the fallback key", async () => {
    const claim = () =>
      bob.post("/_matrix/client/v3/keys/claim", {
        one_time_keys: { [alice.userId]: { [alice.deviceId]: "signed_curve25519" } },
      });
    const claimed = new Set<string>();
    const results = await Promise.all([claim(), claim(), claim()]);
    for (const r of results) {
      expect(r.status).toBe(200);
      for (const id of Object.keys(r.body.one_time_keys[alice.userId][alice.deviceId])) claimed.add(id);
    }
    expect([...claimed].sort()).toEqual([
      "signed_curve25519:A1",
      "signed_curve25519:A2",
      "signed_curve25519:A3",
    ]);
    const fallback = await claim();
    expect(fallback.body.one_time_keys[alice.userId][alice.deviceId]).toEqual({
      "signed_curve25519:F1": { key: "fallback", fallback: true, signatures: {} },
    });
    const sync = await alice.get("/_matrix/client/v3/sync");
    expect(sync.body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.body.device_unused_fallback_key_types).toEqual([]);
    // Unknown devices and algorithms: nothing.
    const nothing = await bob.post("/_matrix/client/v3/keys/claim", {
      one_time_keys: { [alice.userId]: { NODEVICE: "signed_curve25519" } },
    });
    expect(nothing.body).toEqual({ one_time_keys: {}, failures: {} });
  });

  it("keeps cross-signing keys, asks for a password to replace the master key, and merges signatures", async () => {
    const key = (usage: string, pub: string) => ({
      user_id: alice.userId,
      usage: [usage],
      keys: { [`ed25519:${pub}`]: pub },
    });
    const first = await alice.post("/_matrix/client/v3/keys/device_signing/upload", {
      master_key: key("master", "MASTER1"),
      self_signing_key: key("self_signing", "SELF1"),
      user_signing_key: key("user_signing", "USER1"),
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const mine = await alice.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(mine.body.master_keys[alice.userId]).toEqual(key("master", "MASTER1"));
    expect(mine.body.user_signing_keys[alice.userId]).toEqual(key("user_signing", "USER1"));
    const theirs = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(theirs.body.self_signing_keys[alice.userId]).toEqual(key("self_signing", "SELF1"));
    expect(theirs.body.user_signing_keys[alice.userId]).toBeUndefined();

    // Replacing the master key needs the password.
    const replace = { master_key: key("master", "MASTER2") };
    const challenged = await alice.post("/_matrix/client/v3/keys/device_signing/upload", replace);
    expect(challenged.status).toBe(401);
    expect(challenged.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const replaced = await alice.post("/_matrix/client/v3/keys/device_signing/upload", {
      ...replace,
      auth: {
        type: "m.login.password",
        session: challenged.body.session,
        identifier: { type: "m.id.user", user: "alice" },
        password: PASSWORD,
      },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    // The same master key again needs nothing.
    expect((await alice.post("/_matrix/client/v3/keys/device_signing/upload", replace)).status).toBe(200);

    // A signature of her device by her self-signing key, and Bob's of her master key.
    const signed = await alice.post("/_matrix/client/v3/keys/signatures/upload", {
      [alice.userId]: {
        [alice.deviceId]: {
          ...deviceKeys(alice),
          signatures: { [alice.userId]: { "ed25519:SELF1": "self-sig" } },
        },
      },
    });
    expect(signed.body).toEqual({ failures: {} });
    const bobSigns = await bob.post("/_matrix/client/v3/keys/signatures/upload", {
      [alice.userId]: {
        MASTER2: {
          ...key("master", "MASTER2"),
          signatures: { [bob.userId]: { "ed25519:BOBUSER": "bob-sig" } },
        },
        [alice.deviceId]: { ...deviceKeys(alice), signatures: { [bob.userId]: { "ed25519:BOBUSER": "x" } } },
      },
    });
    expect(Object.keys(bobSigns.body.failures[alice.userId])).toEqual([alice.deviceId]);
    const q = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(q.body.device_keys[alice.userId][alice.deviceId].signatures[alice.userId]).toEqual({
      [`ed25519:${alice.deviceId}`]: "sig-1",
      "ed25519:SELF1": "self-sig",
    });
    expect(q.body.master_keys[alice.userId].signatures).toEqual({
      [bob.userId]: { "ed25519:BOBUSER": "bob-sig" },
    });
  });

  it("forgets a deleted device's keys", async () => {
    const login = await bob.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "alice" },
      password: PASSWORD,
    });
    const second = { userId: alice.userId, deviceId: login.body.device_id as string };
    const phone = alice.as(login.body.access_token as string);
    expect(
      (await phone.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(second, "2") })).status,
    ).toBe(200);
    const listed = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(Object.keys(listed.body.device_keys[alice.userId]).sort()).toEqual(
      [alice.deviceId, second.deviceId].sort(),
    );
    const challenge = await alice.delete(`/_matrix/client/v3/devices/${enc(second.deviceId)}`, {});
    const deleted = await alice.delete(`/_matrix/client/v3/devices/${enc(second.deviceId)}`, {
      auth: {
        type: "m.login.password",
        session: challenge.body.session,
        identifier: { type: "m.id.user", user: "alice" },
        password: PASSWORD,
      },
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    const after = await bob.post("/_matrix/client/v3/keys/query", { device_keys: { [alice.userId]: [] } });
    expect(Object.keys(after.body.device_keys[alice.userId])).toEqual([alice.deviceId]);
  });
});

describe("one-time key counts in /sync (issue 8, finding 3)", () => {
  it("a long-poll that waited reports keys uploaded while it waited", async () => {
    const carol = await registerUser(server, "carol-otk", PASSWORD);
    await carol.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(carol) });
    const first = await carol.get("/_matrix/client/v3/sync?timeout=0");
    expect(first.body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    const waiting = carol.get(`/_matrix/client/v3/sync?since=${enc(first.body.next_batch)}&timeout=1500`);
    await new Promise((r) => setTimeout(r, 300));
    const up = await carol.post("/_matrix/client/v3/keys/upload", {
      one_time_keys: { ...otk("C1"), ...otk("C2"), ...otk("C3"), ...otk("C4") },
    });
    expect(up.body.one_time_key_counts).toEqual({ signed_curve25519: 4 });
    const later = await waiting;
    expect(later.body.device_one_time_keys_count).toEqual({ signed_curve25519: 4 });
  });

  it("a sync answered after an upload's acknowledgement counts that upload, however they race", async () => {
    const dave = await registerUser(server, "dave-otk", PASSWORD);
    await dave.post("/_matrix/client/v3/keys/upload", { device_keys: deviceKeys(dave) });
    // Rooms with some history, so that building a sync takes a few milliseconds.
    for (let i = 0; i < 15; i++) {
      const room = await dave.post("/_matrix/client/v3/createRoom", { name: `room ${i}` });
      for (let m = 0; m < 3; m++) {
        await dave.put(`/_matrix/client/v3/rooms/${enc(room.body.room_id)}/send/m.room.message/r${i}m${m}`, {
          msgtype: "m.text",
          body: `message ${m}`,
        });
      }
    }
    let uploaded = 0;
    for (let round = 0; round < 20; round++) {
      const order: string[] = [];
      const keys = Object.assign({}, ...Array.from({ length: 5 }, (_, i) => otk(`D${round}_${i}`)));
      const sync = dave.get("/_matrix/client/v3/sync?timeout=0").then((r) => {
        order.push("sync");
        return r;
      });
      await new Promise((r) => setTimeout(r, round % 4));
      const upload = dave.post("/_matrix/client/v3/keys/upload", { one_time_keys: keys }).then((r) => {
        order.push("upload");
        return r;
      });
      const [synced] = await Promise.all([sync, upload]);
      uploaded += 5;
      const counted = synced.body.device_one_time_keys_count.signed_curve25519 as number;
      if (order[0] === "upload") expect(counted, `round ${round}`).toBe(uploaded);
      else expect([uploaded - 5, uploaded], `round ${round}`).toContain(counted);
      // And nothing stale is remembered: a later sync counts everything.
      const quiet = await dave.get(
        "/_matrix/client/v3/sync?timeout=0&filter=%7B%22room%22%3A%7B%22rooms%22%3A%5B%5D%7D%7D",
      );
      expect(quiet.body.device_one_time_keys_count.signed_curve25519, `round ${round}`).toBe(uploaded);
    }
  });
});

// Server-side key backups through HTTP ("Server-side key backups").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
const enc = encodeURIComponent;
const ALG = "m.megolm_backup.v1.curve25519-aes-sha2";

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

const keyData = (first: number, forwarded: number, verified: boolean, tag: string) => ({
  first_message_index: first,
  forwarded_count: forwarded,
  is_verified: verified,
  session_data: { ciphertext: tag, ephemeral: "e", mac: "m" },
});

describe("key backup", () => {
  it("creates versions, keeps the better key per session, and refuses an old version's uploads", async () => {
    expect((await alice.get("/_matrix/client/v3/room_keys/version")).body.errcode).toBe("M_NOT_FOUND");
    const v1 = await alice.post("/_matrix/client/v3/room_keys/version", {
      algorithm: ALG,
      auth_data: { public_key: "pk1" },
    });
    expect(v1.body).toEqual({ version: "1" });
    const room = "!room:example.org";
    const put1 = await alice.put(`/_matrix/client/v3/room_keys/keys?version=1`, {
      rooms: { [room]: { sessions: { s1: keyData(5, 0, false, "a"), s2: keyData(0, 0, false, "b") } } },
    });
    expect(put1.body).toEqual({ count: 2, etag: "1" });
    // A worse key (higher first_message_index) does not replace; a verified one does.
    await alice.put(
      `/_matrix/client/v3/room_keys/keys/${enc(room)}/s1?version=1`,
      keyData(9, 0, false, "worse"),
    );
    expect(
      (await alice.get(`/_matrix/client/v3/room_keys/keys/${enc(room)}/s1?version=1`)).body.session_data
        .ciphertext,
    ).toBe("a");
    const put2 = await alice.put(`/_matrix/client/v3/room_keys/keys/${enc(room)}?version=1`, {
      sessions: { s1: keyData(9, 3, true, "verified") },
    });
    expect(put2.body).toEqual({ count: 2, etag: "2" });
    expect(
      (await alice.get(`/_matrix/client/v3/room_keys/keys/${enc(room)}/s1?version=1`)).body.session_data
        .ciphertext,
    ).toBe("verified");
    const info = await alice.get("/_matrix/client/v3/room_keys/version");
    expect(info.body).toEqual({
      algorithm: ALG,
      auth_data: { public_key: "pk1" },
      count: 2,
      etag: "2",
      version: "1",
    });
    const all = await alice.get("/_matrix/client/v3/room_keys/keys?version=1");
    expect(Object.keys(all.body.rooms[room].sessions).sort()).toEqual(["s1", "s2"]);
    expect((await alice.get(`/_matrix/client/v3/room_keys/keys/${enc("!other:x")}?version=1`)).body).toEqual({
      sessions: {},
    });
    // Someone else sees none of it.
    expect((await bob.get("/_matrix/client/v3/room_keys/version")).status).toBe(404);

    // A new version: the old one takes no keys.
    await alice.post("/_matrix/client/v3/room_keys/version", {
      algorithm: ALG,
      auth_data: { public_key: "pk2" },
    });
    const stale = await alice.put(`/_matrix/client/v3/room_keys/keys?version=1`, {
      rooms: { [room]: { sessions: { s3: keyData(0, 0, false, "c") } } },
    });
    expect(stale.status).toBe(403);
    expect(stale.body).toMatchObject({ errcode: "M_WRONG_ROOM_KEYS_VERSION", current_version: "2" });
    expect((await alice.get("/_matrix/client/v3/room_keys/version")).body.version).toBe("2");

    // auth_data can change; the algorithm cannot.
    expect(
      (
        await alice.put("/_matrix/client/v3/room_keys/version/2", {
          algorithm: ALG,
          auth_data: { public_key: "pk2b" },
        })
      ).status,
    ).toBe(200);
    expect(
      (await alice.put("/_matrix/client/v3/room_keys/version/2", { algorithm: "other", auth_data: {} }))
        .status,
    ).toBe(400);

    // Deleting keys and versions.
    const deleted = await alice.delete(`/_matrix/client/v3/room_keys/keys/${enc(room)}/s2?version=1`);
    expect(deleted.body).toEqual({ count: 1, etag: "3" });
    expect((await alice.delete("/_matrix/client/v3/room_keys/version/1")).status).toBe(200);
    expect((await alice.get("/_matrix/client/v3/room_keys/version/1")).status).toBe(404);
    expect((await alice.get("/_matrix/client/v3/room_keys/keys?version=1")).status).toBe(404);
    const bad = await alice.put(`/_matrix/client/v3/room_keys/keys?version=2`, {
      rooms: { [room]: { sessions: { s: {} } } },
    });
    expect(bad.status).toBe(400);
  });
});

describe("backup algorithms", () => {
  it("checks auth_data of the spec's algorithm and keeps other algorithms' data as given", async () => {
    const carol = await registerUser(server, "carol");
    // m.megolm_backup.v1.curve25519-aes-sha2: AuthData with public_key, signatures an object.
    const signed = {
      public_key: "pk",
      signatures: { [carol.userId]: { "ed25519:DEVICE": "sig" } },
    };
    const v1 = await carol.post("/_matrix/client/v3/room_keys/version", {
      algorithm: ALG,
      auth_data: signed,
    });
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect((await carol.get("/_matrix/client/v3/room_keys/version")).body.auth_data).toEqual(signed);
    for (const auth_data of [{}, { public_key: 3 }, { public_key: "pk", signatures: "x" }, "pk"]) {
      const bad = await carol.post("/_matrix/client/v3/room_keys/version", { algorithm: ALG, auth_data });
      expect(bad.status, JSON.stringify(auth_data)).toBe(400);
      expect(bad.body.errcode).toBe("M_BAD_JSON");
    }
    expect(
      (
        await carol.put(`/_matrix/client/v3/room_keys/version/${v1.body.version}`, {
          algorithm: ALG,
          auth_data: {},
        })
      ).status,
    ).toBe(400);
    // The spec's algorithm wants session_data as an object.
    const stringData = await carol.put(
      `/_matrix/client/v3/room_keys/keys/!r:x/s?version=${v1.body.version}`,
      {
        first_message_index: 0,
        forwarded_count: 0,
        is_verified: false,
        session_data: "opaque",
      },
    );
    expect(stringData.status).toBe(400);

    // Another algorithm (as SyTest and Complement create them): its data is opaque.
    for (const auth_data of ["anopaquestring", { foo: "bar" }]) {
      const other = await carol.post("/_matrix/client/unstable/room_keys/version", {
        algorithm: "m.megolm_backup.v1",
        auth_data,
      });
      expect(other.status, JSON.stringify(other.body)).toBe(200);
      const version = other.body.version as string;
      const info = await carol.get(`/_matrix/client/unstable/room_keys/version/${version}`);
      expect(info.body).toMatchObject({ algorithm: "m.megolm_backup.v1", auth_data, version });
      const put = await carol.put(`/_matrix/client/unstable/room_keys/keys/!abcd/1234?version=${version}`, {
        first_message_index: 3,
        forwarded_count: 0,
        is_verified: false,
        session_data: "anopaquestring",
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const got = await carol.get(`/_matrix/client/unstable/room_keys/keys/!abcd/1234?version=${version}`);
      expect(got.body.session_data).toBe("anopaquestring");
      const updated = await carol.put(`/_matrix/client/v3/room_keys/version/${version}`, {
        algorithm: "m.megolm_backup.v1",
        auth_data: "adifferentopaquestring",
        version,
      });
      expect(updated.status).toBe(200);
      expect((await carol.get(`/_matrix/client/v3/room_keys/version/${version}`)).body.auth_data).toBe(
        "adifferentopaquestring",
      );
    }
    const missing = await carol.post("/_matrix/client/v3/room_keys/version", {
      algorithm: "m.megolm_backup.v1",
    });
    expect(missing.status).toBe(400);
    expect((await carol.post("/_matrix/client/v3/room_keys/version", { auth_data: {} })).status).toBe(400);
  });
});

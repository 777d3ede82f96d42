import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatrixError } from "@hearth/federation";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AccountStorage, accountStorage } from "../../storage/accounts.js";
import { Database } from "../../storage/db.js";
import { AccountService } from "./account-service.js";
import { tokenHash } from "./tokens.js";

const FAST = { n: 1024, r: 8, p: 1 };

describe("AccountService", () => {
  let dir: string;
  let db: Database;
  let storage: AccountStorage;
  let now: number;
  let left: string[];
  let profileChanges: Array<[string, unknown]>;
  let svc: AccountService;

  function build(): AccountService {
    return new AccountService({
      db,
      storage,
      serverName: "example.org",
      now: () => now,
      effects: {
        leaveAllRooms: async (userId) => {
          left.push(userId);
        },
        profileChanged: async (userId, profile) => {
          profileChanges.push([userId, profile]);
        },
      },
      options: { scrypt: FAST, refreshableAccessTokenLifetimeMs: 60_000 },
    });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-accounts-"));
    db = await Database.open(dir);
    storage = accountStorage(db);
    now = 1_700_000_000_000;
    left = [];
    profileChanges = [];
    svc = build();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores access and refresh tokens only as SHA-256 hashes, and passwords only hashed", async () => {
    const { login } = await svc.register({ localpart: "alice", password: "s3cret", refreshToken: true });
    const access = await storage.accessTokens.allHashes();
    const refresh = await storage.refreshTokens.allHashes();
    expect(access).toEqual([tokenHash(login!.accessToken)]);
    expect(refresh).toEqual([tokenHash(login!.refreshToken!)]);
    const everything: string[] = [];
    for (const name of [
      "userid_account",
      "token_hash_session",
      "refresh_hash_session",
      "userid_deviceid_device",
    ]) {
      for await (const [k, v] of db.keyspace(name).iterator()) everything.push(k, JSON.stringify(v));
    }
    const dump = everything.join("\n");
    expect(dump).not.toContain(login!.accessToken);
    expect(dump).not.toContain(login!.refreshToken!);
    expect(dump).not.toContain("s3cret");
  });

  it("authenticates from the cache and forgets revoked tokens immediately", async () => {
    const { login } = await svc.register({ localpart: "bob", password: "pw" });
    const requester = await svc.authenticate(login!.accessToken);
    expect(requester).toEqual({
      userId: "@bob:example.org",
      deviceId: login!.deviceId,
      tokenId: tokenHash(login!.accessToken),
      isGuest: false,
    });
    await svc.authenticate(login!.accessToken); // cached
    await svc.logout(requester);
    await expect(svc.authenticate(login!.accessToken)).rejects.toMatchObject({
      errcode: "M_UNKNOWN_TOKEN",
      extra: { soft_logout: false },
    });
  });

  it("does not let a read racing a revocation put the revoked token back in the cache", async () => {
    const { login } = await svc.register({ localpart: "racer", password: "pw" });
    const requester = await svc.authenticate(login!.accessToken);
    const fresh = build(); // empty cache
    const results = await Promise.allSettled([
      fresh.authenticate(login!.accessToken),
      fresh.logout(requester),
    ]);
    expect(results[1]!.status).toBe("fulfilled");
    await expect(fresh.authenticate(login!.accessToken)).rejects.toBeInstanceOf(MatrixError);
  });

  it("expires refreshable access tokens with soft_logout: true, and refresh issues working ones", async () => {
    const { login } = await svc.register({ localpart: "carol", password: "pw", refreshToken: true });
    expect(login!.expiresInMs).toBe(60_000);
    now += 60_000;
    await expect(svc.authenticate(login!.accessToken)).rejects.toMatchObject({
      errcode: "M_UNKNOWN_TOKEN",
      extra: { soft_logout: true },
    });
    const next = await svc.refresh(login!.refreshToken!);
    expect((await svc.authenticate(next.accessToken)).userId).toBe("@carol:example.org");
    await expect(svc.refresh(login!.refreshToken!)).rejects.toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    expect(await storage.refreshTokens.allHashes()).toEqual([tokenHash(next.refreshToken)]);
  });

  it("survives a restart: tokens and accounts are durable", async () => {
    const { login } = await svc.register({ localpart: "dora", password: "pw" });
    await db.close();
    db = await Database.open(dir);
    storage = accountStorage(db);
    svc = build();
    expect((await svc.authenticate(login!.accessToken)).userId).toBe("@dora:example.org");
    expect(await svc.checkPassword("@dora:example.org", "pw")).toBe(true);
  });

  it("deactivation revokes everything, erases the profile and leaves rooms", async () => {
    const { login } = await svc.register({ localpart: "eve", password: "pw", refreshToken: true });
    await svc.deactivate("@eve:example.org");
    expect(left).toEqual(["@eve:example.org"]);
    await expect(svc.authenticate(login!.accessToken)).rejects.toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    await expect(svc.refresh(login!.refreshToken!)).rejects.toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    expect(await svc.checkPassword("@eve:example.org", "pw")).toBe(false);
    await expect(svc.loginWithPassword("@eve:example.org", "pw", {})).rejects.toMatchObject({
      errcode: "M_USER_DEACTIVATED",
    });
    expect(await svc.getProfile("@eve:example.org")).toEqual({});
    expect(await storage.devices.list("@eve:example.org")).toEqual([]);
  });

  it("reports display name and avatar changes to the rooms module, once per change", async () => {
    await svc.register({ localpart: "fay", password: "pw", inhibitLogin: true });
    expect(await svc.getProfile("@fay:example.org")).toEqual({ displayname: "fay" });
    await svc.setProfileField("@fay:example.org", "displayname", "Fay");
    await svc.setProfileField("@fay:example.org", "displayname", "Fay");
    await svc.setProfileField("@fay:example.org", "avatar_url", "mxc://example.org/x");
    await svc.setProfileField("@fay:example.org", "m.tz", "UTC");
    expect(profileChanges).toEqual([
      ["@fay:example.org", { displayname: "Fay", avatar_url: null }],
      ["@fay:example.org", { displayname: "Fay", avatar_url: "mxc://example.org/x" }],
    ]);
    expect(await svc.getProfile("@nobody:example.org")).toBeUndefined();
  });

  it("keeps an account change when an effect fails", async () => {
    const errors: string[] = [];
    const failing = new AccountService({
      db,
      storage,
      serverName: "example.org",
      now: () => now,
      effects: {
        leaveAllRooms: async () => {
          throw new Error("rooms down");
        },
        profileChanged: async () => {},
      },
      options: { scrypt: FAST, onEffectError: (_e, effect) => errors.push(effect) },
    });
    await failing.register({ localpart: "gus", password: "pw", inhibitLogin: true });
    await failing.deactivate("@gus:example.org");
    expect(errors).toEqual(["leaveAllRooms"]);
    expect((await storage.accounts.get("@gus:example.org"))?.deactivatedTs).not.toBeNull();
  });

  it("knows admins", async () => {
    await svc.register({ localpart: "root", password: "pw", admin: true, inhibitLogin: true });
    await svc.register({ localpart: "user", password: "pw", inhibitLogin: true });
    expect(await svc.isAdmin("@root:example.org")).toBe(true);
    expect(await svc.isAdmin("@user:example.org")).toBe(false);
    expect(await svc.isAdmin("@ghost:example.org")).toBe(false);
  });

  it("resolves login identifiers", () => {
    expect(svc.resolveUser({ identifier: { type: "m.id.user", user: "Alice" } })).toBe("@alice:example.org");
    expect(svc.resolveUser({ identifier: { type: "m.id.user", user: "@alice:example.org" } })).toBe(
      "@alice:example.org",
    );
    expect(svc.resolveUser({ user: "alice" })).toBe("@alice:example.org");
    expect(svc.resolveUser({ identifier: { type: "m.id.user", user: "@alice:other.org" } })).toBeUndefined();
    expect(
      svc.resolveUser({ identifier: { type: "m.id.phone", country: "GB", phone: "1" } }),
    ).toBeUndefined();
    expect(svc.resolveUser({})).toBeUndefined();
    expect(() => svc.resolveUser({ identifier: { type: "m.id.user" } })).toThrow(MatrixError);
  });

  it("counts registration token uses and honours expiry", async () => {
    await svc.createRegistrationToken({ token: "twice", usesAllowed: 2, expiryTs: now + 1000 });
    expect(await svc.isRegistrationTokenValid("twice")).toBe(true);
    await svc.register({ localpart: "r1", inhibitLogin: true, registrationToken: "twice" });
    await svc.register({ localpart: "r2", inhibitLogin: true, registrationToken: "twice" });
    expect(await svc.isRegistrationTokenValid("twice")).toBe(false);
    await expect(
      svc.register({ localpart: "r3", inhibitLogin: true, registrationToken: "twice" }),
    ).rejects.toMatchObject({
      errcode: "M_UNAUTHORIZED",
    });
    expect(await svc.userExists("@r3:example.org")).toBe(false);
    await svc.createRegistrationToken({ token: "soon", expiryTs: now + 1000 });
    now += 1000;
    expect(await svc.isRegistrationTokenValid("soon")).toBe(false);
    await expect(svc.createRegistrationToken({ token: "soon" })).rejects.toMatchObject({
      errcode: "M_INVALID_PARAM",
    });
    await expect(svc.createRegistrationToken({ token: "bad token!" })).rejects.toMatchObject({
      errcode: "M_INVALID_PARAM",
    });
  });
});

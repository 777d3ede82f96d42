import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { login, registerUser, type TestUser } from "../accounts-test-helpers.js";

const LOGIN = "/_matrix/client/v3/login";

describe("GET/POST /login", () => {
  let server: TestServer;
  let client: Client;
  let bob: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
    bob = await registerUser(client, "bob", "bobs password");
  });
  afterAll(() => server.destroy());

  it("lists m.login.password", async () => {
    const res = await client.get(LOGIN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ flows: [{ type: "m.login.password" }] });
  });

  it("logs in by localpart, by full user ID and by the legacy user field", async () => {
    const byLocalpart = await login(client, "bob", "bobs password");
    expect(byLocalpart.status).toBe(200);
    expect(byLocalpart.body.user_id).toBe("@bob:localhost");
    expect(byLocalpart.body.device_id).toMatch(/^[A-Z]{10}$/);
    expect(byLocalpart.body.home_server).toBe("localhost");
    expect(byLocalpart.body.refresh_token).toBeUndefined();
    expect(byLocalpart.body.expires_in_ms).toBeUndefined();
    const byId = await login(client, "@bob:localhost", "bobs password");
    expect(byId.status).toBe(200);
    expect(byId.body.access_token).not.toBe(byLocalpart.body.access_token);
    const legacy = await client.post(LOGIN, {
      type: "m.login.password",
      user: "BOB",
      password: "bobs password",
    });
    expect(legacy.status).toBe(200);
    const who = await client.as(legacy.body.access_token).get("/_matrix/client/v3/account/whoami");
    expect(who.body.user_id).toBe("@bob:localhost");
    expect(who.body.device_id).toBe(legacy.body.device_id);
  });

  it("refuses a wrong password, an unknown user, a remote user and a third-party ID with 403 M_FORBIDDEN", async () => {
    for (const [user, password] of [
      ["bob", "wrong"],
      ["nobody", "bobs password"],
      ["@bob:elsewhere.org", "bobs password"],
      ["not valid!", "x"],
    ] as const) {
      const res = await login(client, user, password);
      expect(res.status, user).toBe(403);
      expect(res.body.errcode, user).toBe("M_FORBIDDEN");
    }
    const thirdParty = await client.post(LOGIN, {
      type: "m.login.password",
      identifier: { type: "m.id.thirdparty", medium: "email", address: "bob@example.org" },
      password: "bobs password",
    });
    expect(thirdParty.status).toBe(403);
  });

  it("reuses a given device_id, revoking the device's previous token", async () => {
    const first = await login(client, "bob", "bobs password", {
      device_id: "BOBPHONE",
      initial_device_display_name: "Phone",
    });
    expect(first.body.device_id).toBe("BOBPHONE");
    const second = await login(client, "bob", "bobs password", {
      device_id: "BOBPHONE",
      initial_device_display_name: "Ignored",
    });
    expect(second.body.device_id).toBe("BOBPHONE");
    const old = await client.as(first.body.access_token).get("/_matrix/client/v3/account/whoami");
    expect(old.status).toBe(401);
    expect(old.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(old.body.soft_logout).toBe(false);
    const device = await client.as(second.body.access_token).get("/_matrix/client/v3/devices/BOBPHONE");
    expect(device.body.display_name).toBe("Phone");
    // The registration token of bob still works: other devices are untouched.
    expect((await client.as(bob.accessToken).get("/_matrix/client/v3/account/whoami")).status).toBe(200);
  });

  it("issues a refresh token when asked", async () => {
    const res = await login(client, "bob", "bobs password", { refresh_token: true });
    expect(typeof res.body.refresh_token).toBe("string");
    expect(res.body.expires_in_ms).toBeGreaterThan(0);
  });

  it("validates the body", async () => {
    const notJson = await client.request("POST", LOGIN, "{", { "content-type": "application/json" });
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
    const badType = await client.post(LOGIN, { type: "m.login.token", token: "x" });
    expect(badType.status).toBe(400);
    expect(badType.body.errcode).toBe("M_UNKNOWN");
    const missingType = await client.post(LOGIN, { password: "x" });
    expect(missingType.body.errcode).toBe("M_MISSING_PARAM");
    const missingId = await client.post(LOGIN, { type: "m.login.password", password: "x" });
    expect(missingId.body.errcode).toBe("M_MISSING_PARAM");
    for (const body of [
      { type: 1, user: "bob", password: "x" },
      { type: "m.login.password", user: "bob", password: 5 },
      { type: "m.login.password", user: 5, password: "x" },
      { type: "m.login.password", identifier: "bob", password: "x" },
      { type: "m.login.password", identifier: { type: "m.id.user", user: 5 }, password: "x" },
      { type: "m.login.password", identifier: { user: "bob" }, password: "x" },
      { type: "m.login.password", user: "bob", password: "x", refresh_token: "yes" },
      { type: "m.login.password", user: "bob", password: "x".repeat(10_000) },
    ]) {
      const res = await client.post(LOGIN, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    const badDevice = await login(client, "bob", "bobs password", { device_id: "bad\u0000id" });
    expect(badDevice.body.errcode).toBe("M_INVALID_PARAM");
  });
});

describe("login rate limit", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer({ rate_limits: { login: { perSecond: 0.1, burst: 2 } } });
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("answers 429 M_LIMIT_EXCEEDED with retry_after_ms past the burst", async () => {
    expect((await login(client, "x", "y")).status).toBe(403);
    expect((await login(client, "x", "y")).status).toBe(403);
    const limited = await login(client, "x", "y");
    expect(limited.status).toBe(429);
    expect(limited.body.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(limited.body.retry_after_ms).toBeGreaterThan(0);
  });
});

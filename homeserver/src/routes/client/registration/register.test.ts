import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { registerUser } from "../accounts-test-helpers.js";

const REGISTER = "/_matrix/client/v3/register";

describe("POST /register (open registration)", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("answers 401 with flows, params and session before any auth", async () => {
    const res = await client.post(REGISTER, { username: "flowcheck", password: "pw" });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(res.body.params).toEqual({});
    expect(typeof res.body.session).toBe("string");
    expect(res.body.completed).toEqual([]);
    expect(res.body.errcode).toBeUndefined();
  });

  it("lists the completed stages on every 401 of a session, a failed attempt's too", async () => {
    const first = await client.post(REGISTER, { username: "stages", password: "pw" });
    const failed = await client.post(REGISTER, {
      username: "stages",
      password: "pw",
      auth: { type: "m.login.password", session: first.body.session },
    });
    expect(failed.status).toBe(401);
    expect(failed.body.session).toBe(first.body.session);
    expect(failed.body.completed).toEqual([]);
    expect(failed.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(typeof failed.body.errcode).toBe("string");
  });

  it("registers with the dummy stage and returns a working access token", async () => {
    const user = await registerUser(client, "alice");
    expect(user.userId).toBe("@alice:localhost");
    expect(user.deviceId).toMatch(/^[A-Z]{10}$/);
    const who = await client.as(user.accessToken).get("/_matrix/client/v3/account/whoami");
    expect(who.body).toEqual({ user_id: "@alice:localhost", device_id: user.deviceId, is_guest: false });
    const profile = await client.get("/_matrix/client/v3/profile/@alice:localhost");
    expect(profile.body).toEqual({ displayname: "alice" });
  });

  it("also accepts auth without a session, and the r0 path", async () => {
    const res = await client.post("/_matrix/client/r0/register", {
      username: "nosession",
      password: "pw",
      auth: { type: "m.login.dummy" },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@nosession:localhost");
  });

  it("lower-cases the username, and generates one when absent", async () => {
    const upper = await registerUser(client, "MixedCase");
    expect(upper.userId).toBe("@mixedcase:localhost");
    const first = await client.post(REGISTER, { password: "pw" });
    const res = await client.post(REGISTER, {
      password: "pw",
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toMatch(/^@[a-z0-9]+:localhost$/);
  });

  it("honours device_id, initial_device_display_name, inhibit_login and refresh_token", async () => {
    const withDevice = await registerUser(client, "devuser", "pw", {
      device_id: "MYDEVICE",
      initial_device_display_name: "Jungle Phone",
    });
    expect(withDevice.deviceId).toBe("MYDEVICE");
    const dev = await client.as(withDevice.accessToken).get("/_matrix/client/v3/devices/MYDEVICE");
    expect(dev.body.display_name).toBe("Jungle Phone");

    const res = await client.post(REGISTER, {
      username: "inhibited",
      password: "pw",
      inhibit_login: true,
      auth: { type: "m.login.dummy" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_id: "@inhibited:localhost", home_server: "localhost" });

    const refreshable = await client.post(REGISTER, {
      username: "refresher",
      password: "pw",
      refresh_token: true,
      auth: { type: "m.login.dummy" },
    });
    expect(typeof refreshable.body.refresh_token).toBe("string");
    expect(refreshable.body.expires_in_ms).toBeGreaterThan(0);
  });

  it("refuses a taken username before UIA, and an invalid one", async () => {
    await registerUser(client, "taken");
    const taken = await client.post(REGISTER, { username: "taken", password: "pw" });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    const takenUpper = await client.post(REGISTER, {
      username: "TAKEN",
      password: "pw",
      auth: { type: "m.login.dummy" },
    });
    expect(takenUpper.body.errcode).toBe("M_USER_IN_USE");
    for (const username of ["has space", "colon:x", "ümlaut", "", "@at", "a".repeat(250), "\u212Aelvin"]) {
      const res = await client.post(REGISTER, { username, password: "pw" });
      expect(res.status, username).toBe(400);
      expect(res.body.errcode, username).toBe("M_INVALID_USERNAME");
    }
  });

  it("answers M_INVALID_USERNAME naming the length when the user ID would be over 255 characters", async () => {
    // "@" + localpart + ":" + server name: the longest localpart fills 255 exactly.
    const longest = 255 - 2 - server.config.serverName.length;
    for (const length of [longest + 1, 250, 300, 70_000]) {
      const res = await client.post(REGISTER, { username: "a".repeat(length), password: "pw" });
      expect(res.status, String(length)).toBe(400);
      expect(res.body.errcode, String(length)).toBe("M_INVALID_USERNAME");
      expect(res.body.error, String(length)).toMatch(/too long/);
      if (length > 8_000) continue; // a query string that long is over Node's header limit
      const available = await client.get(
        `/_matrix/client/v3/register/available?username=${"a".repeat(length)}`,
      );
      expect(available.body.errcode, String(length)).toBe("M_INVALID_USERNAME");
    }
    const bad = await client.post(REGISTER, { username: `${"a".repeat(300)} x`, password: "pw" });
    expect(bad.body.error).toMatch(/may contain only/);
    const fits = await client.post(REGISTER, {
      username: "b".repeat(longest),
      password: "pw",
      auth: { type: "m.login.dummy" },
    });
    expect(fits.status).toBe(200);
    expect((fits.body.user_id as string).length).toBe(255);
  });

  it("registers a contested username exactly once", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.post(REGISTER, { username: "race", password: "pw", auth: { type: "m.login.dummy" } }),
      ),
    );
    expect(attempts.filter((r) => r.status === 200)).toHaveLength(1);
    expect(attempts.filter((r) => r.body.errcode === "M_USER_IN_USE")).toHaveLength(4);
  });

  it("refuses unknown kinds", async () => {
    const other = await client.post(`${REGISTER}?kind=robot`, {});
    expect(other.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("rejects malformed bodies with the right errcodes", async () => {
    const notJson = await client.request("POST", REGISTER, "{not json", {
      "content-type": "application/json",
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
    const array = await client.post(REGISTER, [1, 2]);
    expect(array.body.errcode).toBe("M_BAD_JSON");
    for (const body of [
      { username: 5 },
      { password: ["x"] },
      { inhibit_login: "yes" },
      { refresh_token: 1 },
      { auth: "dummy" },
      { device_id: {} },
      { auth: { type: 5 } },
      { auth: { type: "m.login.dummy", session: 7 } },
    ]) {
      const res = await client.post(REGISTER, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe("M_BAD_JSON");
    }
    const badDevice = await client.post(REGISTER, { device_id: "" });
    expect(badDevice.body.errcode).toBe("M_INVALID_PARAM");
    const emptyPassword = await client.post(REGISTER, { username: "weak", password: "" });
    expect(emptyPassword.body.errcode).toBe("M_WEAK_PASSWORD");
  });

  it("rejects an unknown session, an unoffered stage, and a session of another operation", async () => {
    const unknown = await client.post(REGISTER, {
      username: "s1",
      password: "pw",
      auth: { type: "m.login.dummy", session: "nope" },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errcode).toBe("M_INVALID_PARAM");

    const first = await client.post(REGISTER, { username: "s2", password: "pw" });
    const wrongStage = await client.post(REGISTER, {
      username: "s2",
      password: "pw",
      auth: { type: "m.login.registration_token", token: "x", session: first.body.session },
    });
    expect(wrongStage.status).toBe(401);
    expect(wrongStage.body.errcode).toBeDefined();
    expect(wrongStage.body.session).toBe(first.body.session);

    // A registration session cannot authenticate a password change.
    const user = await registerUser(client, "s3");
    const change = await client.as(user.accessToken).post("/_matrix/client/v3/account/password", {
      new_password: "new",
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(change.status).toBe(403);
    expect(change.body.errcode).toBe("M_FORBIDDEN");
  });

  it("spends the UIA session once the flow completes", async () => {
    const first = await client.post(REGISTER, { username: "once", password: "pw" });
    const auth = { type: "m.login.dummy", session: first.body.session };
    expect((await client.post(REGISTER, { username: "once", password: "pw", auth })).status).toBe(200);
    const again = await client.post(REGISTER, { username: "once2", password: "pw", auth });
    expect(again.status).toBe(400);
  });
});

describe("GET /register/available", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("answers available, M_USER_IN_USE, M_INVALID_USERNAME and M_MISSING_PARAM", async () => {
    expect((await client.get("/_matrix/client/v3/register/available?username=free")).body).toEqual({
      available: true,
    });
    await registerUser(client, "used");
    const used = await client.get("/_matrix/client/v3/register/available?username=used");
    expect(used.status).toBe(400);
    expect(used.body.errcode).toBe("M_USER_IN_USE");
    const invalid = await client.get("/_matrix/client/v3/register/available?username=no%20spaces");
    expect(invalid.body.errcode).toBe("M_INVALID_USERNAME");
    const missing = await client.get("/_matrix/client/v3/register/available");
    expect(missing.body.errcode).toBe("M_MISSING_PARAM");
  });
});

describe("closed registration", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer({ registration: "closed" });
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("refuses registration with 403 M_FORBIDDEN", async () => {
    const res = await client.post(REGISTER, {
      username: "x",
      password: "pw",
      auth: { type: "m.login.dummy" },
    });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    const validity = await client.get(
      "/_matrix/client/v1/register/m.login.registration_token/validity?token=abc",
    );
    expect(validity.status).toBe(403);
    expect(validity.body.errcode).toBe("M_FORBIDDEN");
    expect((await client.get("/_matrix/client/v3/register/available?username=x")).status).toBe(403);
  });

  it("refuses guests too (allow_guest_access follows registration), with M_GUEST_ACCESS_FORBIDDEN", async () => {
    const guest = await client.post(`${REGISTER}?kind=guest`, {});
    expect(guest.status).toBe(403);
    expect(guest.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });
});

describe("registration rate limit", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer({ rate_limits: { registration: { perSecond: 0.1, burst: 2 } } });
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("answers 429 M_LIMIT_EXCEEDED with retry_after_ms past the burst", async () => {
    await client.post(REGISTER, {});
    await client.post(REGISTER, {});
    const res = await client.post(REGISTER, {});
    expect(res.status).toBe(429);
    expect(res.body.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(res.body.retry_after_ms).toBeGreaterThan(0);
  });
});

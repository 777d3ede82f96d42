import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { login, passwordAuth, registerUser } from "../accounts-test-helpers.js";

const PASSWORD = "/_matrix/client/v3/account/password";
const DEACTIVATE = "/_matrix/client/v3/account/deactivate";
const WHOAMI = "/_matrix/client/v3/account/whoami";

describe("POST /account/password", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("asks for m.login.password, then changes the password and logs out other devices", async () => {
    const erin = await registerUser(client, "erin", "old password");
    const other = await login(client, "erin", "old password", { refresh_token: true });
    const me = client.as(erin.accessToken);

    const challenge = await me.post(PASSWORD, { new_password: "new password" });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const session = challenge.body.session as string;

    const wrong = await me.post(PASSWORD, {
      new_password: "new password",
      auth: passwordAuth(erin.userId, "nope", session),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    expect(wrong.body.session).toBe(session);
    expect(wrong.body.flows).toBeDefined();

    const done = await me.post(PASSWORD, {
      new_password: "new password",
      auth: passwordAuth("erin", "old password", session),
    });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({});

    expect((await me.get(WHOAMI)).status).toBe(200);
    const revoked = await client.as(other.body.access_token).get(WHOAMI);
    expect(revoked.status).toBe(401);
    expect(revoked.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(
      (await client.post("/_matrix/client/v3/refresh", { refresh_token: other.body.refresh_token })).status,
    ).toBe(401);
    expect((await login(client, "erin", "old password")).status).toBe(403);
    expect((await login(client, "erin", "new password")).status).toBe(200);
  });

  it("keeps other devices with logout_devices: false", async () => {
    const frank = await registerUser(client, "frank", "pw1");
    const other = await login(client, "frank", "pw1");
    const res = await client.as(frank.accessToken).post(PASSWORD, {
      new_password: "pw2",
      logout_devices: false,
      auth: passwordAuth(frank.userId, "pw1"),
    });
    expect(res.status).toBe(200);
    expect((await client.as(other.body.access_token).get(WHOAMI)).status).toBe(200);
  });

  it("works without an access token, identifying the user by the password stage", async () => {
    const gina = await registerUser(client, "gina", "pw1");
    const anon = new Client(server.url);
    const challenge = await anon.post(PASSWORD, { new_password: "pw2" });
    expect(challenge.status).toBe(401);
    const res = await anon.post(PASSWORD, {
      new_password: "pw2",
      auth: passwordAuth("gina", "pw1", challenge.body.session),
    });
    expect(res.status).toBe(200);
    expect((await client.as(gina.accessToken).get(WHOAMI)).status).toBe(401);
    expect((await login(client, "gina", "pw2")).status).toBe(200);
  });

  it("refuses another user's password, and bad bodies", async () => {
    const hank = await registerUser(client, "hank", "pw");
    await registerUser(client, "ivan", "ivanpw");
    const me = client.as(hank.accessToken);
    const other = await me.post(PASSWORD, { new_password: "x", auth: passwordAuth("ivan", "ivanpw") });
    expect(other.status).toBe(401);
    expect(other.body.errcode).toBe("M_FORBIDDEN");
    expect((await me.post(PASSWORD, {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await me.post(PASSWORD, { new_password: 5 })).body.errcode).toBe("M_BAD_JSON");
    expect((await me.post(PASSWORD, { new_password: "" })).body.errcode).toBe("M_WEAK_PASSWORD");
    expect((await me.post(PASSWORD, { new_password: "x", logout_devices: "no" })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    const badAuth = await me.post(PASSWORD, {
      new_password: "x",
      auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "hank" }, password: 1 },
    });
    expect(badAuth.body.errcode).toBe("M_BAD_JSON");
    expect((await me.post(PASSWORD, { new_password: "x", auth: [] })).body.errcode).toBe("M_BAD_JSON");
  });
});

describe("POST /account/deactivate", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  it("deactivates after UIA: tokens revoked, login refused, profile erased, name stays taken", async () => {
    const jane = await registerUser(client, "jane", "pw");
    const other = await login(client, "jane", "pw");
    const me = client.as(jane.accessToken);
    await me.put("/_matrix/client/v3/profile/@jane:localhost/displayname", { displayname: "Jane" });

    const challenge = await me.post(DEACTIVATE, {});
    expect(challenge.status).toBe(401);
    const wrong = await me.post(DEACTIVATE, { auth: passwordAuth("jane", "wrong", challenge.body.session) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    const res = await me.post(DEACTIVATE, {
      auth: passwordAuth("jane", "pw", challenge.body.session),
      erase: false,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: "success" });

    expect((await me.get(WHOAMI)).status).toBe(401);
    expect((await client.as(other.body.access_token).get(WHOAMI)).status).toBe(401);
    const again = await login(client, "jane", "pw");
    expect(again.status).toBe(403);
    expect(again.body.errcode).toBe("M_USER_DEACTIVATED");
    expect((await login(client, "jane", "wrong")).body.errcode).toBe("M_FORBIDDEN");
    expect((await client.get("/_matrix/client/v3/profile/@jane:localhost")).body).toEqual({});
    const reuse = await client.post("/_matrix/client/v3/register", { username: "jane", password: "pw" });
    expect(reuse.body.errcode).toBe("M_USER_IN_USE");
  });

  it("validates the body", async () => {
    const kim = await registerUser(client, "kim", "pw");
    const me = client.as(kim.accessToken);
    expect((await me.post(DEACTIVATE, { erase: "yes" })).body.errcode).toBe("M_BAD_JSON");
    expect((await me.post(DEACTIVATE, { auth: 3 })).body.errcode).toBe("M_BAD_JSON");
    expect((await me.get(WHOAMI)).status).toBe(200);
  });
});

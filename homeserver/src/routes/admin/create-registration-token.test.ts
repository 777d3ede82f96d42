import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedSecretMac } from "../../services/accounts/shared-secret.js";
import { Client, startTestServer, type TestServer } from "../../testing/harness.js";

const SECRET = "0123456789abcdef-shared-secret";
const PATH = "/_synapse/admin/v1/registration_tokens/new";

describe("POST /_synapse/admin/v1/registration_tokens/new", () => {
  let server: TestServer;
  let admin: Client;
  let user: Client;
  beforeAll(async () => {
    server = await startTestServer({ registration: "token", registration_shared_secret: SECRET });
    const register = async (username: string, isAdmin: boolean) => {
      const client = new Client(server.url);
      const { nonce } = (await client.get("/_synapse/admin/v1/register")).body;
      const mac = sharedSecretMac(SECRET, nonce, username, "pw", isAdmin);
      const res = await client.post("/_synapse/admin/v1/register", {
        nonce,
        username,
        password: "pw",
        admin: isAdmin,
        mac,
      });
      return client.as(res.body.access_token);
    };
    admin = await register("root", true);
    user = await register("bob", false);
  });
  afterAll(() => server.destroy());

  it("creates a token for an admin, with Synapse's defaults, that registration accepts", async () => {
    const res = await admin.post(PATH, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
      uses_allowed: null,
      pending: 0,
      completed: 0,
      expiry_time: null,
    });
    const anyone = new Client(server.url);
    const reg = await anyone.post("/_matrix/client/v3/register", {
      username: "invited",
      password: "pw",
      auth: { type: "m.login.registration_token", token: res.body.token },
    });
    expect(reg.status).toBe(200);
  });

  it("takes token, uses_allowed, expiry_time and length", async () => {
    const expiry = Date.now() + 3_600_000;
    const res = await admin.post(PATH, { token: "defg", uses_allowed: 1, expiry_time: expiry });
    expect(res.body).toEqual({
      token: "defg",
      uses_allowed: 1,
      pending: 0,
      completed: 0,
      expiry_time: expiry,
    });
    const validity = await new Client(server.url).get(
      "/_matrix/client/v1/register/m.login.registration_token/validity?token=defg",
    );
    expect(validity.body).toEqual({ valid: true });
    expect((await admin.post(PATH, { length: 5 })).body.token).toMatch(/^[A-Za-z0-9]{5}$/);
  });

  it("refuses non-admins, requests without a token, and invalid fields", async () => {
    const forbidden = await user.post(PATH, {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errcode).toBe("M_FORBIDDEN");
    const anonymous = await new Client(server.url).post(PATH, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errcode).toBe("M_MISSING_TOKEN");
    for (const body of [
      { token: "defg" }, // exists
      { token: "bad token" },
      { token: 5 },
      { uses_allowed: -1 },
      { uses_allowed: 1.5 },
      { expiry_time: Date.now() - 1000 },
      { length: 0 },
      { length: 65 },
    ]) {
      const res = await admin.post(PATH, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe("M_INVALID_PARAM");
    }
  });
});

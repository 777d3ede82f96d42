import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedSecretMac } from "../../services/accounts/shared-secret.js";
import { Client, startTestServer, type TestServer } from "../../testing/harness.js";

const SECRET = "0123456789abcdef-shared-secret";
const PATH = "/_synapse/admin/v1/register";

describe("shared-secret registration endpoint", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer({ registration: "closed", registration_shared_secret: SECRET });
    client = new Client(server.url);
  });
  afterAll(() => server.destroy());

  async function signed(
    username: string,
    password: string,
    admin: boolean,
    extra: Record<string, unknown> = {},
  ) {
    const { body } = await client.get(PATH);
    return {
      nonce: body.nonce,
      username,
      password,
      admin,
      mac: sharedSecretMac(SECRET, body.nonce, username, password, admin),
      ...extra,
    };
  }

  it("registers a user with a valid MAC even when registration is closed", async () => {
    const res = await client.post(PATH, await signed("admin", "pw", true));
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@admin:localhost");
    expect(res.body.home_server).toBe("localhost");
    const who = await client.as(res.body.access_token).get("/_matrix/client/v3/account/whoami");
    expect(who.body.user_id).toBe("@admin:localhost");
    const login = await client.post("/_matrix/client/v3/login", {
      type: "m.login.password",
      user: "admin",
      password: "pw",
    });
    expect(login.status).toBe(200);
  });

  it("honours inhibit_login and displayname", async () => {
    const res = await client.post(
      PATH,
      await signed("quiet", "pw", false, { inhibit_login: true, displayname: "Quiet One" }),
    );
    expect(res.body).toEqual({ user_id: "@quiet:localhost", home_server: "localhost" });
    expect((await client.get("/_matrix/client/v3/profile/@quiet:localhost")).body).toEqual({
      displayname: "Quiet One",
    });
  });

  it("refuses a wrong MAC, a reused or unknown nonce, and bad input", async () => {
    const body = await signed("mallory", "pw", false);
    const asAdmin = await client.post(PATH, { ...body, admin: true });
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.errcode).toBe("M_FORBIDDEN");
    const reused = await client.post(PATH, body);
    expect(reused.status).toBe(400);
    expect((await client.post(PATH, { ...body, nonce: "made-up" })).status).toBe(400);
    expect((await client.post(PATH, { ...(await signed("x", "pw", false)), admin: "no" })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    expect((await client.post(PATH, { nonce: "n", username: "u", password: "p" })).body.errcode).toBe(
      "M_MISSING_PARAM",
    );
    expect((await client.post(PATH, await signed("Bad Name", "pw", false))).body.errcode).toBe(
      "M_INVALID_USERNAME",
    );
    expect((await client.post(PATH, await signed("admin", "pw", false))).body.errcode).toBe("M_USER_IN_USE");
    expect(
      (await client.request("POST", PATH, "nope", { "content-type": "application/json" })).body.errcode,
    ).toBe("M_NOT_JSON");
  });
});

describe("shared-secret registration without a secret", () => {
  it("is refused", async () => {
    const server = await startTestServer();
    try {
      const res = await new Client(server.url).get(PATH);
      expect(res.status).toBe(403);
      expect(res.body.errcode).toBe("M_FORBIDDEN");
    } finally {
      await server.destroy();
    }
  });
});

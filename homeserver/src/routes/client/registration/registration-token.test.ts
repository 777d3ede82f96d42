import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountService } from "../../../services/accounts/account-service.js";
import { accountStorage } from "../../../storage/accounts.js";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";

const REGISTER = "/_matrix/client/v3/register";
const VALIDITY = "/_matrix/client/v1/register/m.login.registration_token/validity";

describe("token-authenticated registration", () => {
  let server: TestServer;
  let client: Client;
  let accounts: AccountService;
  beforeAll(async () => {
    server = await startTestServer({ registration: "token" });
    client = new Client(server.url);
    // A second service over the running server's database, only to create tokens.
    accounts = new AccountService({
      db: server.context.db,
      storage: accountStorage(server.context.db),
      serverName: "localhost",
      now: Date.now,
      effects: { leaveAllRooms: async () => {}, profileChanged: async () => {} },
    });
  });
  afterAll(() => server.destroy());

  it("offers m.login.registration_token and refuses dummy auth", async () => {
    const first = await client.post(REGISTER, { username: "t1", password: "pw" });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
    const dummy = await client.post(REGISTER, {
      username: "t1",
      password: "pw",
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(dummy.status).toBe(401);
  });

  it("registers with a valid token, counts its uses, and reports validity", async () => {
    await accounts.createRegistrationToken({ token: "onceonly", usesAllowed: 1 });
    expect((await client.get(`${VALIDITY}?token=onceonly`)).body).toEqual({ valid: true });
    expect((await client.get(`${VALIDITY}?token=unknown`)).body).toEqual({ valid: false });
    expect((await client.get(VALIDITY)).body.errcode).toBe("M_MISSING_PARAM");

    const first = await client.post(REGISTER, { username: "tokenuser", password: "pw" });
    const wrong = await client.post(REGISTER, {
      username: "tokenuser",
      password: "pw",
      auth: { type: "m.login.registration_token", token: "wrong", session: first.body.session },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_UNAUTHORIZED");
    expect(wrong.body.flows).toBeDefined();
    const missingToken = await client.post(REGISTER, {
      username: "tokenuser",
      password: "pw",
      auth: { type: "m.login.registration_token", session: first.body.session },
    });
    expect(missingToken.body.errcode).toBe("M_BAD_JSON");
    const ok = await client.post(REGISTER, {
      username: "tokenuser",
      password: "pw",
      auth: { type: "m.login.registration_token", token: "onceonly", session: first.body.session },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user_id).toBe("@tokenuser:localhost");

    expect((await client.get(`${VALIDITY}?token=onceonly`)).body).toEqual({ valid: false });
    const again = await client.post(REGISTER, {
      username: "tokenuser2",
      password: "pw",
      auth: { type: "m.login.registration_token", token: "onceonly" },
    });
    expect(again.status).toBe(401);
  });

  it("lets only one of two sessions holding a single-use token register", async () => {
    await accounts.createRegistrationToken({ token: "contested", usesAllowed: 1 });
    const a = await client.post(REGISTER, { username: "ca", password: "pw" });
    const b = await client.post(REGISTER, { username: "cb", password: "pw" });
    // Both pass the stage while the token is still unused, then race to complete.
    const results = await Promise.all([
      client.post(REGISTER, {
        username: "ca",
        password: "pw",
        auth: { type: "m.login.registration_token", token: "contested", session: a.body.session },
      }),
      client.post(REGISTER, {
        username: "cb",
        password: "pw",
        auth: { type: "m.login.registration_token", token: "contested", session: b.body.session },
      }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it("refuses an expired token", async () => {
    await accounts.createRegistrationToken({ token: "expired", expiryTs: Date.now() - 1 });
    expect((await client.get(`${VALIDITY}?token=expired`)).body).toEqual({ valid: false });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { login, registerUser } from "../accounts-test-helpers.js";

const WHOAMI = "/_matrix/client/v3/account/whoami";
const REFRESH = "/_matrix/client/v3/refresh";

describe("access tokens, refresh, logout", () => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
    await registerUser(client, "carol", "pw");
  });
  afterAll(() => server.destroy());

  it("whoami: 401 M_MISSING_TOKEN without a token, M_UNKNOWN_TOKEN for an unknown one", async () => {
    const missing = await client.get(WHOAMI);
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe("M_MISSING_TOKEN");
    const unknown = await client.as("hat_nonsense").get(WHOAMI);
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(unknown.body.soft_logout).toBe(false);
    const malformed = await client.request("GET", WHOAMI, undefined, { authorization: "Basic abc" });
    expect(malformed.status).toBe(401);
  });

  it("accepts the token as the access_token query parameter too", async () => {
    const res = await login(client, "carol", "pw");
    const viaQuery = await new Client(server.url).get(
      `${WHOAMI}?access_token=${encodeURIComponent(res.body.access_token)}`,
    );
    expect(viaQuery.body.user_id).toBe("@carol:localhost");
  });

  it("refresh rotates tokens; the old refresh token dies once the new tokens are used", async () => {
    const res = await login(client, "carol", "pw", { refresh_token: true });
    const r1 = res.body.refresh_token as string;
    const a1 = res.body.access_token as string;
    const first = await client.post(REFRESH, { refresh_token: r1 });
    expect(first.status).toBe(200);
    const { access_token: a2, refresh_token: r2 } = first.body;
    expect(a2).not.toBe(a1);
    expect(r2).not.toBe(r1);
    expect(first.body.expires_in_ms).toBeGreaterThan(0);
    // The old access token is revoked at once.
    expect((await client.as(a1).get(WHOAMI)).status).toBe(401);
    // Using the new access token spends the old refresh token.
    const who = await client.as(a2).get(WHOAMI);
    expect(who.body.device_id).toBe(res.body.device_id);
    const reused = await client.post(REFRESH, { refresh_token: r1 });
    expect(reused.status).toBe(401);
    expect(reused.body.errcode).toBe("M_UNKNOWN_TOKEN");
    // The new refresh token works, and using it revokes r2's access token.
    const second = await client.post(REFRESH, { refresh_token: r2 });
    expect(second.status).toBe(200);
    expect((await client.as(a2).get(WHOAMI)).status).toBe(401);
    expect((await client.post(REFRESH, { refresh_token: r2 })).status).toBe(200);
  });

  it("lets a client repeat a refresh whose response it lost", async () => {
    const res = await login(client, "carol", "pw", { refresh_token: true });
    const r1 = res.body.refresh_token as string;
    const lost = await client.post(REFRESH, { refresh_token: r1 });
    expect(lost.status).toBe(200);
    const retry = await client.post(REFRESH, { refresh_token: r1 });
    expect(retry.status).toBe(200);
    // The tokens of the lost response were replaced by the retry.
    expect((await client.as(lost.body.access_token).get(WHOAMI)).status).toBe(401);
    expect((await client.post(REFRESH, { refresh_token: lost.body.refresh_token })).status).toBe(401);
    expect((await client.as(retry.body.access_token).get(WHOAMI)).status).toBe(200);
  });

  it("refresh validates its body and refuses unknown tokens", async () => {
    const unknown = await client.post(REFRESH, { refresh_token: "hrt_unknown" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(unknown.body.soft_logout).toBe(false);
    expect((await client.post(REFRESH, {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await client.post(REFRESH, { refresh_token: 1 })).body.errcode).toBe("M_BAD_JSON");
    expect(
      (await client.request("POST", REFRESH, "x", { "content-type": "application/json" })).body.errcode,
    ).toBe("M_NOT_JSON");
  });

  it("logout revokes the token and deletes the device, leaving other devices", async () => {
    const a = await login(client, "carol", "pw", { refresh_token: true });
    const b = await login(client, "carol", "pw");
    const out = await client.as(a.body.access_token).post("/_matrix/client/v3/logout");
    expect(out.status).toBe(200);
    expect(out.body).toEqual({});
    const after = await client.as(a.body.access_token).get(WHOAMI);
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect((await client.post(REFRESH, { refresh_token: a.body.refresh_token })).status).toBe(401);
    const devices = await client.as(b.body.access_token).get("/_matrix/client/v3/devices");
    expect(devices.body.devices.map((d: { device_id: string }) => d.device_id)).not.toContain(
      a.body.device_id,
    );
    expect((await client.as(b.body.access_token).get(WHOAMI)).status).toBe(200);
    expect((await client.post("/_matrix/client/v3/logout")).status).toBe(401);
  });

  it("logout/all revokes every token of the user", async () => {
    const dave = await registerUser(client, "dave", "pw");
    const other = await login(client, "dave", "pw");
    const out = await client.as(other.body.access_token).post("/_matrix/client/v3/logout/all");
    expect(out.status).toBe(200);
    expect((await client.as(dave.accessToken).get(WHOAMI)).status).toBe(401);
    expect((await client.as(other.body.access_token).get(WHOAMI)).status).toBe(401);
    const again = await login(client, "dave", "pw");
    const devices = await client.as(again.body.access_token).get("/_matrix/client/v3/devices");
    expect(devices.body.devices).toHaveLength(1);
  });

  it("rejects wrong methods with 405 M_UNRECOGNIZED", async () => {
    const res = await client.get("/_matrix/client/v3/logout");
    expect(res.status).toBe(405);
    expect(res.body.errcode).toBe("M_UNRECOGNIZED");
  });
});

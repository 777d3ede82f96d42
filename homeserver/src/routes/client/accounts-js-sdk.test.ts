// Account endpoints driven by a real client library: matrix-js-sdk.
import { createClient, type MatrixClient } from "matrix-js-sdk";
import type { Logger } from "matrix-js-sdk/lib/logger.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../testing/harness.js";

const silent: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => silent,
};

describe("matrix-js-sdk against the account endpoints", () => {
  let server: TestServer;
  const clients: MatrixClient[] = [];
  function client(opts: { accessToken?: string; userId?: string; deviceId?: string } = {}): MatrixClient {
    const c = createClient({ baseUrl: server.url, logger: silent, ...opts });
    clients.push(c);
    return c;
  }
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await server.destroy();
  });

  it("registers, logs in, edits profile and devices, changes password and logs out", async () => {
    const anon = client();
    expect(await anon.isUsernameAvailable("sdkuser")).toBe(true);
    const flows = await anon.loginFlows();
    expect(flows.flows.map((f) => f.type)).toContain("m.login.password");

    let session: string | undefined;
    try {
      await anon.registerRequest({ username: "sdkuser", password: "sdk password" });
    } catch (e) {
      session = (e as { data: { session: string } }).data.session;
    }
    expect(session).toBeDefined();
    const reg = await anon.registerRequest({
      username: "sdkuser",
      password: "sdk password",
      initial_device_display_name: "js-sdk",
      auth: { type: "m.login.dummy", session },
    });
    expect(reg.user_id).toBe("@sdkuser:localhost");

    const login = await anon.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "sdkuser" },
      password: "sdk password",
      refresh_token: true,
    });
    const me = client({ accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id });
    expect((await me.whoami()).user_id).toBe("@sdkuser:localhost");

    await me.setDisplayName("SDK User");
    await me.setAvatarUrl("mxc://localhost/avatar");
    expect(await me.getProfileInfo("@sdkuser:localhost")).toEqual({
      displayname: "SDK User",
      avatar_url: "mxc://localhost/avatar",
    });

    const { devices } = await me.getDevices();
    expect(devices.map((d) => d.device_id).sort()).toEqual([reg.device_id, login.device_id].sort());
    await me.setDeviceDetails(login.device_id, { display_name: "renamed" });
    expect((await me.getDevice(login.device_id)).display_name).toBe("renamed");

    const auth = {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "@sdkuser:localhost" },
      password: "sdk password",
    };
    await me.deleteDevice(reg.device_id!, auth);
    expect((await me.getDevices()).devices).toHaveLength(1);

    const refreshed = await anon.refreshToken(login.refresh_token!);
    const me2 = client({
      accessToken: refreshed.access_token,
      userId: login.user_id,
      deviceId: login.device_id,
    });
    await me2.setPassword(auth, "new sdk password", false);
    await me2.logout();
    await expect(me2.whoami()).rejects.toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
  });
});

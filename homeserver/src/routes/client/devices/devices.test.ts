import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { login, passwordAuth, registerUser, type TestUser } from "../accounts-test-helpers.js";

const DEVICES = "/_matrix/client/v3/devices";

describe("device management", () => {
  let server: TestServer;
  let client: Client;
  let leo: TestUser;
  let me: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
    leo = await registerUser(client, "leo", "pw", { initial_device_display_name: "Laptop" });
    me = client.as(leo.accessToken);
  });
  afterAll(() => server.destroy());

  it("lists devices with display names and last-seen data", async () => {
    await login(client, "leo", "pw", { device_id: "TABLET", initial_device_display_name: "Tablet" });
    const res = await me.get(DEVICES);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.devices.map((d: { device_id: string }) => [d.device_id, d]));
    expect(byId.get(leo.deviceId)).toMatchObject({ device_id: leo.deviceId, display_name: "Laptop" });
    expect(byId.get("TABLET")).toMatchObject({ device_id: "TABLET", display_name: "Tablet" });
    expect((byId.get(leo.deviceId) as { last_seen_ts: number }).last_seen_ts).toBeGreaterThan(0);
    expect((byId.get(leo.deviceId) as { last_seen_ip: string }).last_seen_ip).toMatch(/127\.0\.0\.1/);
  });

  it("gets one device; 404 M_NOT_FOUND for an unknown one or another user's", async () => {
    const res = await me.get(`${DEVICES}/${leo.deviceId}`);
    expect(res.body.device_id).toBe(leo.deviceId);
    const unknown = await me.get(`${DEVICES}/NOPE`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const mia = await registerUser(client, "mia", "pw");
    expect((await me.get(`${DEVICES}/${mia.deviceId}`)).status).toBe(404);
  });

  it("renames a device; unknown device 404; bad types M_BAD_JSON", async () => {
    expect((await me.put(`${DEVICES}/${leo.deviceId}`, { display_name: "Work laptop" })).status).toBe(200);
    expect((await me.get(`${DEVICES}/${leo.deviceId}`)).body.display_name).toBe("Work laptop");
    expect((await me.put(`${DEVICES}/${leo.deviceId}`, {})).status).toBe(200);
    expect((await me.get(`${DEVICES}/${leo.deviceId}`)).body.display_name).toBe("Work laptop");
    expect((await me.put(`${DEVICES}/UNKNOWN`, { display_name: "x" })).body.errcode).toBe("M_NOT_FOUND");
    expect((await me.put(`${DEVICES}/${leo.deviceId}`, { display_name: 3 })).body.errcode).toBe("M_BAD_JSON");
    expect((await me.put(`${DEVICES}/${leo.deviceId}`, { display_name: "x".repeat(300) })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    expect((await client.get(DEVICES)).status).toBe(401);
  });

  it("DELETE /devices/{id} requires UIA, then deletes the device and revokes its token", async () => {
    const phone = await login(client, "leo", "pw", { device_id: "PHONE" });
    const challenge = await me.delete(`${DEVICES}/PHONE`);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    expect((await client.as(phone.body.access_token).get("/_matrix/client/v3/account/whoami")).status).toBe(
      200,
    );
    // A session for deleting PHONE cannot delete another device.
    const swapped = await me.delete(`${DEVICES}/TABLET`, {
      auth: passwordAuth(leo.userId, "pw", challenge.body.session),
    });
    expect(swapped.status).toBe(403);
    const wrong = await me.delete(`${DEVICES}/PHONE`, {
      auth: passwordAuth(leo.userId, "bad", challenge.body.session),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    const done = await me.delete(`${DEVICES}/PHONE`, {
      auth: passwordAuth(leo.userId, "pw", challenge.body.session),
    });
    expect(done.status).toBe(200);
    expect((await client.as(phone.body.access_token).get("/_matrix/client/v3/account/whoami")).status).toBe(
      401,
    );
    expect((await me.get(`${DEVICES}/PHONE`)).status).toBe(404);
    // Deleting an already-deleted device succeeds.
    expect((await me.delete(`${DEVICES}/PHONE`, { auth: passwordAuth(leo.userId, "pw") })).status).toBe(200);
  });

  it("POST /delete_devices deletes several devices after UIA", async () => {
    const a = await login(client, "leo", "pw", { device_id: "BULK1" });
    const b = await login(client, "leo", "pw", { device_id: "BULK2" });
    const challenge = await me.post("/_matrix/client/v3/delete_devices", { devices: ["BULK1", "BULK2"] });
    expect(challenge.status).toBe(401);
    const done = await me.post("/_matrix/client/v3/delete_devices", {
      devices: ["BULK1", "BULK2", "NEVER-EXISTED"],
      auth: passwordAuth("leo", "pw", challenge.body.session),
    });
    expect(done.status).toBe(200);
    for (const t of [a.body.access_token, b.body.access_token]) {
      expect((await client.as(t).get("/_matrix/client/v3/account/whoami")).status).toBe(401);
    }
    expect((await me.post("/_matrix/client/v3/delete_devices", {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await me.post("/_matrix/client/v3/delete_devices", { devices: "BULK1" })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    expect((await me.post("/_matrix/client/v3/delete_devices", { devices: [1] })).body.errcode).toBe(
      "M_BAD_JSON",
    );
  });
});

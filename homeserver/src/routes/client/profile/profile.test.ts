import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../../testing/harness.js";
import { registerUser, type TestUser } from "../accounts-test-helpers.js";

const P = "/_matrix/client/v3/profile";

describe("profiles", () => {
  let server: TestServer;
  let client: Client;
  let nina: TestUser;
  let me: Client;
  beforeAll(async () => {
    server = await startTestServer();
    client = new Client(server.url);
    nina = await registerUser(client, "nina", "pw");
    me = client.as(nina.accessToken);
  });
  afterAll(() => server.destroy());

  it("starts with the localpart as display name, readable without a token", async () => {
    expect((await client.get(`${P}/@nina:localhost`)).body).toEqual({ displayname: "nina" });
    expect((await client.get(`${P}/%40nina%3Alocalhost/displayname`)).body).toEqual({ displayname: "nina" });
    const noAvatar = await client.get(`${P}/@nina:localhost/avatar_url`);
    expect(noAvatar.status).toBe(404);
    expect(noAvatar.body.errcode).toBe("M_NOT_FOUND");
  });

  it("sets and clears displayname and avatar_url", async () => {
    expect((await me.put(`${P}/@nina:localhost/displayname`, { displayname: "Nina N." })).status).toBe(200);
    expect(
      (await me.put(`${P}/@nina:localhost/avatar_url`, { avatar_url: "mxc://localhost/abc123" })).status,
    ).toBe(200);
    expect((await client.get(`${P}/@nina:localhost`)).body).toEqual({
      displayname: "Nina N.",
      avatar_url: "mxc://localhost/abc123",
    });
    expect((await client.get(`${P}/@nina:localhost/avatar_url`)).body).toEqual({
      avatar_url: "mxc://localhost/abc123",
    });
    expect((await me.put(`${P}/@nina:localhost/avatar_url`, { avatar_url: "" })).status).toBe(200);
    expect((await me.put(`${P}/@nina:localhost/displayname`, { displayname: null })).status).toBe(200);
    expect((await client.get(`${P}/@nina:localhost`)).body).toEqual({});
  });

  it("sets, reads and deletes custom fields", async () => {
    expect((await me.put(`${P}/@nina:localhost/m.tz`, { "m.tz": "Europe/London" })).status).toBe(200);
    expect(
      (await me.put(`${P}/@nina:localhost/org.example.field`, { "org.example.field": { a: [1] } })).status,
    ).toBe(200);
    expect((await client.get(`${P}/@nina:localhost/org.example.field`)).body).toEqual({
      "org.example.field": { a: [1] },
    });
    expect((await me.delete(`${P}/@nina:localhost/org.example.field`)).status).toBe(200);
    expect((await client.get(`${P}/@nina:localhost/org.example.field`)).status).toBe(404);
  });

  it("refuses changing someone else's profile with 403 and unknown users with 404", async () => {
    await registerUser(client, "oscar", "pw");
    const other = await me.put(`${P}/@oscar:localhost/displayname`, { displayname: "pwned" });
    expect(other.status).toBe(403);
    expect(other.body.errcode).toBe("M_FORBIDDEN");
    expect((await client.get(`${P}/@oscar:localhost/displayname`)).body).toEqual({ displayname: "oscar" });
    expect((await me.delete(`${P}/@oscar:localhost/displayname`)).status).toBe(403);
    const unknown = await client.get(`${P}/@nobody:localhost`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    expect((await client.get(`${P}/@nobody:localhost/displayname`)).status).toBe(404);
    expect((await client.get(`${P}/@someone:remote.example`)).status).toBe(404);
    expect((await client.put(`${P}/@nina:localhost/displayname`, { displayname: "x" })).status).toBe(401);
  });

  it("validates ids, keys and values", async () => {
    expect((await client.get(`${P}/not-a-user`)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await me.put(`${P}/@nina:localhost/Bad-Key`, { "Bad-Key": 1 })).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect((await me.put(`${P}/@nina:localhost/${"a.b".repeat(100)}`, {})).body.errcode).toBe(
      "M_KEY_TOO_LARGE",
    );
    expect((await me.put(`${P}/@nina:localhost/displayname`, {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await me.put(`${P}/@nina:localhost/displayname`, { displayname: 5 })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    expect(
      (await me.put(`${P}/@nina:localhost/displayname`, { displayname: "x".repeat(300) })).body.errcode,
    ).toBe("M_INVALID_PARAM");
    expect(
      (await me.put(`${P}/@nina:localhost/avatar_url`, { avatar_url: "https://evil.example/a.png" })).body
        .errcode,
    ).toBe("M_INVALID_PARAM");
    const notJson = await me.request("PUT", `${P}/@nina:localhost/displayname`, "{{", {
      "content-type": "application/json",
    });
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
    const huge = await me.put(`${P}/@nina:localhost/org.example.big`, {
      "org.example.big": "x".repeat(70_000),
    });
    expect(huge.status).toBe(400);
    expect(huge.body.errcode).toBe("M_PROFILE_TOO_LARGE");
  });
});

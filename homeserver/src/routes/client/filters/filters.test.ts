import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../../services/sync/test-helpers.js";
import { registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: User;
let bob: User;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

const path = (u: User) => `/_matrix/client/v3/user/${encodeURIComponent(u.userId)}/filter`;

describe("filters", () => {
  it("uploads and downloads a filter; the same filter gets the same ID", async () => {
    const filter = {
      event_fields: ["type", "content"],
      room: { timeline: { limit: 5, types: ["m.room.*"], lazy_load_members: true }, include_leave: true },
      account_data: { not_types: ["m.push_rules"] },
    };
    const created = await alice.post(path(alice), filter);
    expect(created.status).toBe(200);
    const id = created.body.filter_id as string;
    expect(typeof id).toBe("string");
    expect(id.startsWith("{")).toBe(false);
    const got = await alice.get(`${path(alice)}/${encodeURIComponent(id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(filter);
    const again = await alice.post(path(alice), filter);
    expect(again.body.filter_id).toBe(id);
    const other = await alice.post(path(alice), { room: { timeline: { limit: 6 } } });
    expect(other.body.filter_id).not.toBe(id);
  });

  it("404 for an unknown filter, and for another user's filter ID", async () => {
    const missing = await alice.get(`${path(alice)}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
    const created = await bob.post(path(bob), { room: { timeline: { limit: 2 } } });
    const cross = await alice.get(`${path(alice)}/${created.body.filter_id}`);
    expect(cross.status).toBe(404);
  });

  it("403 for another user's filters", async () => {
    const post = await alice.post(path(bob), {});
    expect(post.status).toBe(403);
    expect(post.body.errcode).toBe("M_FORBIDDEN");
    const get = await alice.get(`${path(bob)}/x`);
    expect(get.status).toBe(403);
  });

  it("refuses badly shaped filters with M_BAD_JSON", async () => {
    for (const bad of [
      { room: { timeline: { limit: "10" } } },
      { room: { timeline: { limit: -1 } } },
      { room: { timeline: { types: "m.room.message" } } },
      { room: { rooms: [1] } },
      { room: "x" },
      { event_fields: "type" },
      { event_format: "xml" },
      { room: { state: { lazy_load_members: "yes" } } },
      { account_data: { senders: [null] } },
    ]) {
      const res = await alice.post(path(alice), bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    const notJson = await alice.request("POST", path(alice), "{nope");
    expect(notJson.body.errcode).toBe("M_NOT_JSON");
  });
});

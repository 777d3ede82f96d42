import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string };

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server, "alice");
});
afterAll(async () => {
  await server.destroy();
});

const ids = (rules: Array<{ rule_id: string }>) => rules.map((r) => r.rule_id);

describe("push rules", () => {
  it("serves the spec's default rules for the user", async () => {
    const { status, body } = await alice.get("/_matrix/client/v3/pushrules/");
    expect(status).toBe(200);
    expect(ids(body.global.override)).toEqual([
      ".m.rule.master",
      ".m.rule.suppress_notices",
      ".m.rule.invite_for_me",
      ".m.rule.member_event",
      ".m.rule.is_user_mention",
      ".m.rule.is_room_mention",
      ".m.rule.tombstone",
      ".m.rule.reaction",
      ".m.rule.room.server_acl",
      ".m.rule.suppress_edits",
    ]);
    expect(ids(body.global.underride)).toEqual([
      ".m.rule.call",
      ".m.rule.encrypted_room_one_to_one",
      ".m.rule.room_one_to_one",
      ".m.rule.message",
      ".m.rule.encrypted",
    ]);
    const invite = body.global.override[2];
    expect(invite.conditions).toContainEqual({
      key: "state_key",
      kind: "event_match",
      pattern: alice.userId,
    });
    expect(body.global.content).toEqual([]);
  });

  it("adds, orders, changes and deletes user rules", async () => {
    const base = "/_matrix/client/v3/pushrules/global";
    expect((await alice.put(`${base}/content/cake`, { pattern: "cake*", actions: ["notify"] })).status).toBe(
      200,
    );
    expect(
      (await alice.put(`${base}/content/pie?before=cake`, { pattern: "pie", actions: ["notify"] })).status,
    ).toBe(200);
    expect(ids((await alice.get(`${base}/`)).body.content)).toEqual(["pie", "cake"]);
    expect((await alice.put(`${base}/content/tart?after=nope`, { pattern: "t", actions: [] })).status).toBe(
      404,
    );
    expect((await alice.put(`${base}/content/.m.rule.x`, { pattern: "t", actions: [] })).status).toBe(400);
    expect((await alice.put(`${base}/content/x`, { actions: [] })).status).toBe(400);
    expect((await alice.put(`${base}/content/cake/enabled`, { enabled: false })).status).toBe(200);
    expect((await alice.get(`${base}/content/cake/enabled`)).body).toEqual({ enabled: false });
    expect((await alice.put(`${base}/override/.m.rule.master/enabled`, { enabled: true })).status).toBe(200);
    expect((await alice.get(`${base}/override/.m.rule.master`)).body.enabled).toBe(true);
    expect(
      (await alice.put(`${base}/underride/.m.rule.message/actions`, { actions: ["dont_notify"] })).status,
    ).toBe(200);
    expect((await alice.get(`${base}/underride/.m.rule.message/actions`)).body).toEqual({
      actions: ["dont_notify"],
    });
    const over = await alice.put(`${base}/override/mine`, {
      conditions: [{ kind: "event_match", key: "type", pattern: "x" }],
      actions: ["notify"],
    });
    expect(over.status).toBe(200);
    expect(ids((await alice.get(`${base}/`)).body.override).slice(0, 3)).toEqual([
      ".m.rule.master",
      "mine",
      ".m.rule.suppress_notices",
    ]);
    expect((await alice.delete(`${base}/content/pie`)).status).toBe(200);
    expect((await alice.delete(`${base}/override/.m.rule.master`)).status).toBe(404);
    expect((await alice.get(`${base}/content/pie`)).status).toBe(404);
    expect((await alice.get(`${base}/nonsense/pie`)).body.errcode).toBe("M_INVALID_PARAM");
  });
});

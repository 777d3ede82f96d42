import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

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
    // The spec's 400 for a before/after rule that is not there ("before/after rule not found").
    expect((await alice.put(`${base}/content/tart?after=nope`, { pattern: "t", actions: [] })).status).toBe(
      400,
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

const P = "/_matrix/client/v3/pushrules";

describe("push rule collections", () => {
  it("answers the collections with a trailing slash and 400 without one", async () => {
    const all = await alice.get(`${P}/`);
    expect(all.status).toBe(200);
    expect(Object.keys(all.body.global).sort()).toEqual([
      "content",
      "override",
      "room",
      "sender",
      "underride",
    ]);
    expect(all.body.device).toEqual({});
    expect((await alice.get(`${P}/global/`)).body).toEqual(all.body.global);
    expect((await alice.get(`${P}/global/underride/`)).body).toEqual(all.body.global.underride);
    expect((await alice.get(`/_matrix/client/r0/pushrules/global/room/`)).body).toEqual([]);
    for (const path of ["", "/global", "/global/room"]) {
      const res = await alice.get(`${P}${path}`);
      expect([path, res.status, res.body.errcode]).toEqual([path, 400, "M_INVALID_PARAM"]);
    }
  });

  it("needs an access token", async () => {
    const anon = new Client(server.url);
    for (const path of ["", "/", "/global/room/x", "/nope/x"]) {
      expect((await anon.get(`${P}${path}`)).status).toBe(401);
    }
  });
});

describe("push rule path errors", () => {
  it("refuses a bad scope, kind, rule ID or attribute with 400 M_INVALID_PARAM", async () => {
    const cases: Array<[string, string, unknown?]> = [
      ["GET", "/not_a_scope/"],
      ["GET", "/global/not_a_kind/"],
      ["GET", "/global/not_a_kind/x"],
      ["GET", "/global/override/.m.rule.master/not_an_attr"],
      ["GET", "/global/override/.m.rule.master/"],
      ["GET", "/global/override/.m.rule.master/enabled/more"],
      ["PUT", "/", { actions: [] }],
      ["PUT", "/global", { actions: [] }],
      ["PUT", "/global/", { actions: [] }],
      ["PUT", "/global/room", { actions: [] }],
      ["PUT", "/global/room/", { actions: [] }],
      ["PUT", "/device/room/x", { actions: [] }],
      ["PUT", "/global/not_a_kind/foo", { actions: [] }],
      ["PUT", "/global/override/.m.rule.master/not_an_attr", { enabled: true }],
      ["DELETE", "/global/room/"],
      ["DELETE", "/global/nope/x"],
    ];
    for (const [method, path, body] of cases) {
      const res = await alice.request(method, `${P}${path}`, body);
      expect([method, path, res.status, res.body.errcode]).toEqual([method, path, 400, "M_INVALID_PARAM"]);
    }
  });

  it("answers 405 for a method a well-formed attribute path lacks", async () => {
    const res = await alice.delete(`${P}/global/override/.m.rule.master/enabled`);
    expect([res.status, res.body.errcode]).toEqual([405, "M_UNRECOGNIZED"]);
  });

  it("refuses bad rule bodies and reserved or slashed rule IDs with 400", async () => {
    const cases: Array<[string, unknown]> = [
      ["/global/room/%21r%3Ax", {}], // no actions
      ["/global/room/%21r%3Ax", { actions: ["not_an_action"] }],
      ["/global/room/%21r%3Ax", { actions: "notify" }],
      ["/global/content/c", { actions: ["notify"] }], // content rule without a pattern
      ["/global/underride/u", { actions: ["notify"], conditions: [{}] }], // condition without kind
      ["/global/override/.mine", { actions: ["notify"] }],
      ["/global/room/a%2Fb", { actions: ["notify"] }],
      ["/global/room/a%5Cb", { actions: ["notify"] }],
      ["/global/override/.m.rule.master/enabled", { enabled: "yes" }],
      ["/global/override/.m.rule.master/enabled", {}],
      ["/global/override/.m.rule.master/actions", {}],
    ];
    for (const [path, body] of cases) {
      const res = await alice.put(`${P}${path}`, body);
      expect([path, res.status]).toEqual([path, 400]);
    }
  });

  it("answers 404 for a rule that is not there", async () => {
    expect((await alice.get(`${P}/global/override/not_a_rule_id`)).status).toBe(404);
    expect((await alice.get(`${P}/global/override/not_a_rule_id/enabled`)).status).toBe(404);
    expect((await alice.put(`${P}/global/override/.not.a.default/enabled`, { enabled: true })).status).toBe(
      404,
    );
    expect((await alice.put(`${P}/global/sender/%40nobody%3Ax/actions`, { actions: [] })).status).toBe(404);
    expect((await alice.delete(`${P}/global/sender/%40nobody%3Ax`)).status).toBe(404);
  });
});

describe("room, sender and content rules", () => {
  it("creates, places, changes and deletes them", async () => {
    const bob = await registerUser(server, "bob-rules");
    const ids = async (kind: string) =>
      ((await bob.get(`${P}/global/${kind}/`)).body as Array<{ rule_id: string }>).map((r) => r.rule_id);
    const put = (path: string, body: unknown) => bob.put(`${P}/global/${path}`, body);

    // room: new rules come first; before/after place them among the user's rules.
    expect((await put("room/%21a%3Ax", { actions: ["notify"] })).status).toBe(200);
    expect((await put("room/%21b%3Ax", { actions: ["notify"] })).status).toBe(200);
    expect(await ids("room")).toEqual(["!b:x", "!a:x"]);
    expect((await put(`room/%21c%3Ax?after=${encodeURIComponent("!b:x")}`, { actions: [] })).status).toBe(
      200,
    );
    expect(await ids("room")).toEqual(["!b:x", "!c:x", "!a:x"]);
    expect((await put(`room/%21d%3Ax?before=${encodeURIComponent("!a:x")}`, { actions: [] })).status).toBe(
      200,
    );
    expect(await ids("room")).toEqual(["!b:x", "!c:x", "!d:x", "!a:x"]);
    // Both: `before` decides.
    const both = `room/%21e%3Ax?before=${encodeURIComponent("!b:x")}&after=${encodeURIComponent("!a:x")}`;
    expect((await put(both, { actions: [] })).status).toBe(200);
    expect(await ids("room")).toEqual(["!e:x", "!b:x", "!c:x", "!d:x", "!a:x"]);
    // Not relative to a server-default rule, nor to a rule that is not there.
    expect((await put("room/%21f%3Ax?before=.m.rule.master", { actions: [] })).status).toBe(400);
    expect((await put("room/%21f%3Ax?after=%21nope%3Ax", { actions: [] })).status).toBe(400);
    // Replacing keeps the place and the enabled flag.
    expect((await bob.put(`${P}/global/room/%21c%3Ax/enabled`, { enabled: false })).status).toBe(200);
    expect((await put("room/%21c%3Ax", { actions: ["notify"] })).status).toBe(200);
    expect(await ids("room")).toEqual(["!e:x", "!b:x", "!c:x", "!d:x", "!a:x"]);
    expect((await bob.get(`${P}/global/room/%21c%3Ax`)).body).toEqual({
      rule_id: "!c:x",
      actions: ["notify"],
      enabled: false,
      default: false,
    });
    expect((await bob.delete(`${P}/global/room/%21c%3Ax`)).status).toBe(200);
    expect(await ids("room")).toEqual(["!e:x", "!b:x", "!d:x", "!a:x"]);

    // sender
    expect((await put("sender/%40spam%3Ax", { actions: [] })).status).toBe(200);
    expect(
      (await bob.put(`${P}/global/sender/%40spam%3Ax/actions`, { actions: ["dont_notify"] })).status,
    ).toBe(200);
    expect((await bob.get(`${P}/global/sender/%40spam%3Ax/actions`)).body).toEqual({
      actions: ["dont_notify"],
    });
    expect((await bob.get(`${P}/global/sender/%40spam%3Ax/enabled`)).body).toEqual({ enabled: true });

    // content, with its pattern
    expect((await put("content/cake", { pattern: "cake*lie", actions: ["notify"] })).status).toBe(200);
    expect((await bob.get(`${P}/global/content/cake`)).body).toEqual({
      rule_id: "cake",
      pattern: "cake*lie",
      actions: ["notify"],
      enabled: true,
      default: false,
    });
    expect((await bob.delete(`${P}/global/content/cake`)).status).toBe(200);
    expect(await ids("content")).toEqual([]);
    expect((await bob.get(`${P}/global/content/cake`)).status).toBe(404);

    // Every change is in the m.push_rules account data.
    const data = await bob.get(
      `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/account_data/m.push_rules`,
    );
    expect(data.body.global.sender.map((r: { rule_id: string }) => r.rule_id)).toEqual(["@spam:x"]);
  });
});

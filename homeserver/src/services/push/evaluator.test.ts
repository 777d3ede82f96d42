/**
 * Push rule evaluation against the spec's examples (Push Notifications module, "Conditions") and the
 * server-default rules ("Predefined Rules").
 */
import { describe, expect, it } from "vitest";
import { defaultOverrideRules, defaultUnderrideRules } from "./default-rules.js";
import { evaluatePushRules, type PushContext, propertyAt } from "./evaluator.js";
import type { PushRule, Ruleset } from "./push-rules-service.js";

const ME = "@me:example.org";
function context(
  facts: { displayName?: string; memberCount?: number; senderPowerLevel?: number } = {},
): PushContext {
  const { displayName = "Mary Ann", memberCount = 5, senderPowerLevel = 0 } = facts;
  return {
    displayName: async () => displayName,
    memberCount: async () => memberCount,
    senderPowerLevel: async () => senderPowerLevel,
    notificationLevel: async () => 50,
  };
}
const ctx = context();

function only(rule: Partial<PushRule>, kind: keyof Ruleset = "override"): Ruleset {
  const full: PushRule = { rule_id: "r", default: false, enabled: true, actions: ["notify"], ...rule };
  return { override: [], content: [], room: [], sender: [], underride: [], [kind]: [full] };
}

async function matches(
  condition: unknown,
  event: Record<string, unknown>,
  c: PushContext = ctx,
): Promise<boolean> {
  return (await evaluatePushRules(only({ conditions: [condition] }), event, c)).notify;
}

const defaults: Ruleset = {
  override: defaultOverrideRules(ME),
  content: [],
  room: [],
  sender: [],
  underride: defaultUnderrideRules(ME),
};

describe("push rule conditions", () => {
  it("event_match: the spec's content.topic example", async () => {
    const cond = { kind: "event_match", key: "content.topic", pattern: "lunc?*" };
    const topic = (t: unknown) => ({ type: "m.room.topic", state_key: "", content: { topic: t } });
    expect(await matches(cond, topic("Lunch plans"))).toBe(true);
    expect(await matches(cond, topic("LUNCH"))).toBe(true);
    expect(await matches(cond, topic(" lunch"))).toBe(false);
    expect(await matches(cond, topic("lunc"))).toBe(false);
    expect(await matches(cond, topic(null))).toBe(false);
    // Absent or not a string: no match, even for `*`.
    expect(await matches({ kind: "event_match", key: "content.nope", pattern: "*" }, topic("x"))).toBe(false);
  });

  it("event_match on content.body: a glob between word boundaries", async () => {
    const cond = { kind: "event_match", key: "content.body", pattern: "ex*ple" };
    const body = (b: string) => ({ type: "m.room.message", content: { body: b } });
    expect(await matches(cond, body("An example event."))).toBe(true);
    expect(await matches(cond, body("exple"))).toBe(true);
    expect(await matches(cond, body("An exciting triple-whammy"))).toBe(true);
    expect(await matches(cond, body("An xexample"))).toBe(false);
    expect(await matches(cond, body("examples"))).toBe(false);
    // Regular expression characters in a pattern are literal.
    expect(await matches({ kind: "event_match", key: "content.body", pattern: "a.c" }, body("abc"))).toBe(
      false,
    );
    expect(await matches({ kind: "event_match", key: "content.body", pattern: "a.c" }, body("x a.c y"))).toBe(
      true,
    );
  });

  it("event_property_is: exact scalar values, no casting", async () => {
    const cond = { kind: "event_property_is", key: "content.m\\.federate", value: true };
    const create = (v: unknown) => ({ type: "m.room.create", content: { "m.federate": v } });
    expect(await matches(cond, create(true))).toBe(true);
    expect(await matches(cond, create("true"))).toBe(false);
    expect(await matches(cond, create(1))).toBe(false);
    expect(
      await matches({ kind: "event_property_is", key: "content.x", value: null }, { content: { x: null } }),
    ).toBe(true);
    expect(await matches({ kind: "event_property_is", key: "content.x", value: null }, { content: {} })).toBe(
      false,
    );
  });

  it("event_property_contains: exact members of an array", async () => {
    const cond = {
      kind: "event_property_contains",
      key: "content.alt_aliases",
      value: "#myroom:example.com",
    };
    const ev = (aliases: unknown) => ({ type: "m.room.canonical_alias", content: { alt_aliases: aliases } });
    expect(await matches(cond, ev(["#somewhere:example.org", "#myroom:example.com"]))).toBe(true);
    expect(await matches(cond, ev([":example.com"]))).toBe(false);
    expect(await matches(cond, ev("#myroom:example.com"))).toBe(false);
  });

  it("dot-separated property paths unescape \\. and \\\\ only", async () => {
    const ev = { content: { "m.relates_to": { rel_type: "x" }, "m\\foo": 1, "a\\x": 2 } };
    expect(propertyAt(ev, "content.m\\.relates_to.rel_type")).toBe("x");
    expect(propertyAt(ev, "content.m\\\\foo")).toBe(1);
    expect(propertyAt(ev, "content.a\\x")).toBe(2);
    expect(propertyAt(ev, "content.missing.deeper")).toBeUndefined();
  });

  it("contains_display_name, room_member_count, sender_notification_permission", async () => {
    const body = (b: string) => ({ type: "m.room.message", content: { body: b } });
    expect(await matches({ kind: "contains_display_name" }, body("hi mary ann!"))).toBe(true);
    expect(await matches({ kind: "contains_display_name" }, body("hi maryann"))).toBe(false);
    expect(
      await matches({ kind: "contains_display_name" }, body("hi mary ann"), context({ displayName: "" })),
    ).toBe(false);
    for (const [is, want] of [
      ["5", true],
      ["==5", true],
      ["<5", false],
      ["<=5", true],
      [">4", true],
      [">=6", false],
      ["five", false],
    ] as const) {
      expect(await matches({ kind: "room_member_count", is }, body("x")), is).toBe(want);
    }
    const perm = { kind: "sender_notification_permission", key: "room" };
    expect(await matches(perm, body("x"))).toBe(false);
    expect(await matches(perm, body("x"), context({ senderPowerLevel: 50 }))).toBe(true);
  });

  it("unrecognised conditions match nothing; a rule without conditions matches everything", async () => {
    expect(await matches({ kind: "org.example.unknown" }, { type: "m.room.message" })).toBe(false);
    expect((await evaluatePushRules(only({ conditions: [] }), { type: "x" }, ctx)).notify).toBe(true);
  });

  it("room, sender and content rules; kinds in order; disabled rules skipped", async () => {
    const ev = { type: "m.room.message", room_id: "!r:x", sender: "@s:x", content: { body: "cake time" } };
    expect((await evaluatePushRules(only({ rule_id: "!r:x" }, "room"), ev, ctx)).notify).toBe(true);
    expect((await evaluatePushRules(only({ rule_id: "!other:x" }, "room"), ev, ctx)).notify).toBe(false);
    expect((await evaluatePushRules(only({ rule_id: "@s:x" }, "sender"), ev, ctx)).notify).toBe(true);
    expect((await evaluatePushRules(only({ pattern: "CAKE" }, "content"), ev, ctx)).notify).toBe(true);
    expect((await evaluatePushRules(only({ pattern: "cak" }, "content"), ev, ctx)).notify).toBe(false);
    expect((await evaluatePushRules(only({ enabled: false, conditions: [] }), ev, ctx)).notify).toBe(false);
    // An earlier kind wins: a room rule that silences beats the default message underride.
    const silenced = { ...defaults, room: [{ rule_id: "!r:x", default: false, enabled: true, actions: [] }] };
    expect((await evaluatePushRules(silenced, ev, ctx)).notify).toBe(false);
    expect((await evaluatePushRules(defaults, ev, ctx)).notify).toBe(true);
  });
});

describe("server-default rules", () => {
  const message = (content: Record<string, unknown>) => ({
    type: "m.room.message",
    room_id: "!r:x",
    sender: "@other:x",
    content: { msgtype: "m.text", ...content },
  });

  it("notify for messages, highlight for mentions of me, not for notices", async () => {
    expect(await evaluatePushRules(defaults, message({ body: "hi" }), ctx)).toMatchObject({
      notify: true,
      highlight: false,
    });
    expect(
      await evaluatePushRules(defaults, message({ body: "hi", "m.mentions": { user_ids: [ME] } }), ctx),
    ).toMatchObject({
      notify: true,
      highlight: true,
    });
    expect(
      await evaluatePushRules(
        defaults,
        message({ body: "hi", "m.mentions": { user_ids: ["@else:x"] } }),
        ctx,
      ),
    ).toMatchObject({ notify: true, highlight: false });
    expect(
      (await evaluatePushRules(defaults, message({ msgtype: "m.notice", body: "bot" }), ctx)).notify,
    ).toBe(false);
    // The rule's actions as written, for /notifications and push gateways.
    const mention = await evaluatePushRules(
      defaults,
      message({ body: "hi", "m.mentions": { user_ids: [ME] } }),
      ctx,
    );
    expect(mention.actions).toContainEqual({ set_tweak: "highlight" });
  });

  it("@room highlights only from senders with the room notification level", async () => {
    const ev = message({ body: "@room", "m.mentions": { room: true } });
    expect(await evaluatePushRules(defaults, ev, context({ senderPowerLevel: 50 }))).toMatchObject({
      notify: true,
      highlight: true,
    });
    expect(await evaluatePushRules(defaults, ev, ctx)).toMatchObject({ notify: true, highlight: false });
  });

  it("member events and reactions do not notify; an invite for me does", async () => {
    const member = {
      type: "m.room.member",
      state_key: "@other:x",
      sender: "@other:x",
      content: { membership: "join" },
    };
    expect((await evaluatePushRules(defaults, member, ctx)).notify).toBe(false);
    const invite = {
      type: "m.room.member",
      state_key: ME,
      sender: "@other:x",
      content: { membership: "invite" },
    };
    expect((await evaluatePushRules(defaults, invite, ctx)).notify).toBe(true);
    const reaction = { type: "m.reaction", sender: "@other:x", content: {} };
    expect((await evaluatePushRules(defaults, reaction, ctx)).notify).toBe(false);
  });

  it("the master rule, once enabled, silences everything", async () => {
    const [master, ...rest] = defaults.override;
    const muted = { ...defaults, override: [{ ...master!, enabled: true }, ...rest] };
    expect(
      (await evaluatePushRules(muted, message({ body: "hi", "m.mentions": { user_ids: [ME] } }), ctx)).notify,
    ).toBe(false);
  });
});

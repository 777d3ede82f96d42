/**
 * Push rule evaluation against the spec's examples (Push Notifications module, "Conditions") and the
 * server-default rules ("Predefined Rules").
 */
import { describe, expect, it } from "vitest";
import { defaultOverrideRules, defaultUnderrideRules } from "./default-rules.js";
import { evaluatePushRules, type PushContext, propertyAt } from "./evaluator.js";
import type { PushRule, Ruleset } from "./push-rules-service.js";

const ME = "@me:example.org";
const ctx: PushContext = {
  displayName: "Mary Ann",
  memberCount: 5,
  senderPowerLevel: 0,
  notificationLevel: () => 50,
};

function only(rule: Partial<PushRule>, kind: keyof Ruleset = "override"): Ruleset {
  const full: PushRule = { rule_id: "r", default: false, enabled: true, actions: ["notify"], ...rule };
  return { override: [], content: [], room: [], sender: [], underride: [], [kind]: [full] };
}

function matches(condition: unknown, event: Record<string, unknown>, c: PushContext = ctx): boolean {
  return evaluatePushRules(only({ conditions: [condition] }), event, c).notify;
}

const defaults: Ruleset = {
  override: defaultOverrideRules(ME),
  content: [],
  room: [],
  sender: [],
  underride: defaultUnderrideRules(ME),
};

describe("push rule conditions", () => {
  it("event_match: the spec's content.topic example", () => {
    const cond = { kind: "event_match", key: "content.topic", pattern: "lunc?*" };
    const topic = (t: unknown) => ({ type: "m.room.topic", state_key: "", content: { topic: t } });
    expect(matches(cond, topic("Lunch plans"))).toBe(true);
    expect(matches(cond, topic("LUNCH"))).toBe(true);
    expect(matches(cond, topic(" lunch"))).toBe(false);
    expect(matches(cond, topic("lunc"))).toBe(false);
    expect(matches(cond, topic(null))).toBe(false);
    // Absent or not a string: no match, even for `*`.
    expect(matches({ kind: "event_match", key: "content.nope", pattern: "*" }, topic("x"))).toBe(false);
  });

  it("event_match on content.body: a glob between word boundaries", () => {
    const cond = { kind: "event_match", key: "content.body", pattern: "ex*ple" };
    const body = (b: string) => ({ type: "m.room.message", content: { body: b } });
    expect(matches(cond, body("An example event."))).toBe(true);
    expect(matches(cond, body("exple"))).toBe(true);
    expect(matches(cond, body("An exciting triple-whammy"))).toBe(true);
    expect(matches(cond, body("An xexample"))).toBe(false);
    expect(matches(cond, body("examples"))).toBe(false);
    // Regular expression characters in a pattern are literal.
    expect(matches({ kind: "event_match", key: "content.body", pattern: "a.c" }, body("abc"))).toBe(false);
    expect(matches({ kind: "event_match", key: "content.body", pattern: "a.c" }, body("x a.c y"))).toBe(true);
  });

  it("event_property_is: exact scalar values, no casting", () => {
    const cond = { kind: "event_property_is", key: "content.m\\.federate", value: true };
    const create = (v: unknown) => ({ type: "m.room.create", content: { "m.federate": v } });
    expect(matches(cond, create(true))).toBe(true);
    expect(matches(cond, create("true"))).toBe(false);
    expect(matches(cond, create(1))).toBe(false);
    expect(
      matches({ kind: "event_property_is", key: "content.x", value: null }, { content: { x: null } }),
    ).toBe(true);
    expect(matches({ kind: "event_property_is", key: "content.x", value: null }, { content: {} })).toBe(
      false,
    );
  });

  it("event_property_contains: exact members of an array", () => {
    const cond = {
      kind: "event_property_contains",
      key: "content.alt_aliases",
      value: "#myroom:example.com",
    };
    const ev = (aliases: unknown) => ({ type: "m.room.canonical_alias", content: { alt_aliases: aliases } });
    expect(matches(cond, ev(["#somewhere:example.org", "#myroom:example.com"]))).toBe(true);
    expect(matches(cond, ev([":example.com"]))).toBe(false);
    expect(matches(cond, ev("#myroom:example.com"))).toBe(false);
  });

  it("dot-separated property paths unescape \\. and \\\\ only", () => {
    const ev = { content: { "m.relates_to": { rel_type: "x" }, "m\\foo": 1, "a\\x": 2 } };
    expect(propertyAt(ev, "content.m\\.relates_to.rel_type")).toBe("x");
    expect(propertyAt(ev, "content.m\\\\foo")).toBe(1);
    expect(propertyAt(ev, "content.a\\x")).toBe(2);
    expect(propertyAt(ev, "content.missing.deeper")).toBeUndefined();
  });

  it("contains_display_name, room_member_count, sender_notification_permission", () => {
    const body = (b: string) => ({ type: "m.room.message", content: { body: b } });
    expect(matches({ kind: "contains_display_name" }, body("hi mary ann!"))).toBe(true);
    expect(matches({ kind: "contains_display_name" }, body("hi maryann"))).toBe(false);
    expect(matches({ kind: "contains_display_name" }, body("hi mary ann"), { ...ctx, displayName: "" })).toBe(
      false,
    );
    for (const [is, want] of [
      ["5", true],
      ["==5", true],
      ["<5", false],
      ["<=5", true],
      [">4", true],
      [">=6", false],
      ["five", false],
    ] as const) {
      expect(matches({ kind: "room_member_count", is }, body("x")), is).toBe(want);
    }
    const perm = { kind: "sender_notification_permission", key: "room" };
    expect(matches(perm, body("x"))).toBe(false);
    expect(matches(perm, body("x"), { ...ctx, senderPowerLevel: 50 })).toBe(true);
  });

  it("unrecognised conditions match nothing; a rule without conditions matches everything", () => {
    expect(matches({ kind: "org.example.unknown" }, { type: "m.room.message" })).toBe(false);
    expect(evaluatePushRules(only({ conditions: [] }), { type: "x" }, ctx).notify).toBe(true);
  });

  it("room, sender and content rules; kinds in order; disabled rules skipped", () => {
    const ev = { type: "m.room.message", room_id: "!r:x", sender: "@s:x", content: { body: "cake time" } };
    expect(evaluatePushRules(only({ rule_id: "!r:x" }, "room"), ev, ctx).notify).toBe(true);
    expect(evaluatePushRules(only({ rule_id: "!other:x" }, "room"), ev, ctx).notify).toBe(false);
    expect(evaluatePushRules(only({ rule_id: "@s:x" }, "sender"), ev, ctx).notify).toBe(true);
    expect(evaluatePushRules(only({ pattern: "CAKE" }, "content"), ev, ctx).notify).toBe(true);
    expect(evaluatePushRules(only({ pattern: "cak" }, "content"), ev, ctx).notify).toBe(false);
    expect(evaluatePushRules(only({ enabled: false, conditions: [] }), ev, ctx).notify).toBe(false);
    // An earlier kind wins: a room rule that silences beats the default message underride.
    const silenced = { ...defaults, room: [{ rule_id: "!r:x", default: false, enabled: true, actions: [] }] };
    expect(evaluatePushRules(silenced, ev, ctx).notify).toBe(false);
    expect(evaluatePushRules(defaults, ev, ctx).notify).toBe(true);
  });
});

describe("server-default rules", () => {
  const message = (content: Record<string, unknown>) => ({
    type: "m.room.message",
    room_id: "!r:x",
    sender: "@other:x",
    content: { msgtype: "m.text", ...content },
  });

  it("notify for messages, highlight for mentions of me, not for notices", () => {
    expect(evaluatePushRules(defaults, message({ body: "hi" }), ctx)).toEqual({
      notify: true,
      highlight: false,
    });
    expect(
      evaluatePushRules(defaults, message({ body: "hi", "m.mentions": { user_ids: [ME] } }), ctx),
    ).toEqual({
      notify: true,
      highlight: true,
    });
    expect(
      evaluatePushRules(defaults, message({ body: "hi", "m.mentions": { user_ids: ["@else:x"] } }), ctx),
    ).toEqual({ notify: true, highlight: false });
    expect(evaluatePushRules(defaults, message({ msgtype: "m.notice", body: "bot" }), ctx).notify).toBe(
      false,
    );
  });

  it("@room highlights only from senders with the room notification level", () => {
    const ev = message({ body: "@room", "m.mentions": { room: true } });
    expect(evaluatePushRules(defaults, ev, { ...ctx, senderPowerLevel: 50 })).toEqual({
      notify: true,
      highlight: true,
    });
    expect(evaluatePushRules(defaults, ev, ctx)).toEqual({ notify: true, highlight: false });
  });

  it("member events and reactions do not notify; an invite for me does", () => {
    const member = {
      type: "m.room.member",
      state_key: "@other:x",
      sender: "@other:x",
      content: { membership: "join" },
    };
    expect(evaluatePushRules(defaults, member, ctx).notify).toBe(false);
    const invite = {
      type: "m.room.member",
      state_key: ME,
      sender: "@other:x",
      content: { membership: "invite" },
    };
    expect(evaluatePushRules(defaults, invite, ctx).notify).toBe(true);
    const reaction = { type: "m.reaction", sender: "@other:x", content: {} };
    expect(evaluatePushRules(defaults, reaction, ctx).notify).toBe(false);
  });

  it("the master rule, once enabled, silences everything", () => {
    const [master, ...rest] = defaults.override;
    const muted = { ...defaults, override: [{ ...master!, enabled: true }, ...rest] };
    expect(
      evaluatePushRules(muted, message({ body: "hi", "m.mentions": { user_ids: [ME] } }), ctx).notify,
    ).toBe(false);
  });
});

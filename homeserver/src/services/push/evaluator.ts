/**
 * Push rule evaluation (Client-Server API, Push Notifications module, "Push Rules", "Conditions",
 * "Actions"): the actions of the first enabled rule, in kind order, that matches an event. The
 * caller gives the room facts the conditions need, read only when a condition asks (most events are
 * decided before any condition needs the room).
 */
import type { PushRule, Ruleset } from "./push-rules-service.js";

/** What a matching rule asks for, reduced to what unread counts and pushers need. */
export interface PushOutcome {
  readonly notify: boolean;
  readonly highlight: boolean;
  /** The matching rule's actions as written (for `/notifications` and push gateways' tweaks). */
  readonly actions: readonly unknown[];
}

/** Room facts the conditions read, for the user whose rules are evaluated and the event's sender. */
export interface PushContext {
  /** The user's display name in the room (`contains_display_name`). */
  displayName(): Promise<string | undefined>;
  /** Joined members of the room (`room_member_count`). */
  memberCount(): Promise<number>;
  /** The sender's power level, and the level a notification kind needs (`sender_notification_permission`). */
  senderPowerLevel(): Promise<number>;
  notificationLevel(key: string): Promise<number>;
}

const NOTHING: PushOutcome = { notify: false, highlight: false, actions: [] };
const KIND_ORDER = ["override", "content", "room", "sender", "underride"] as const;

/** The outcome of a user's ruleset for an event: the actions of the first matching rule. */
export async function evaluatePushRules(
  ruleset: Ruleset,
  event: Record<string, unknown>,
  ctx: PushContext,
): Promise<PushOutcome> {
  for (const kind of KIND_ORDER) {
    for (const rule of ruleset[kind] ?? []) {
      if (!rule.enabled) continue;
      if (await ruleMatches(kind, rule, event, ctx)) return outcomeOf(rule.actions);
    }
  }
  return NOTHING;
}

async function ruleMatches(
  kind: (typeof KIND_ORDER)[number],
  rule: PushRule,
  event: Record<string, unknown>,
  ctx: PushContext,
): Promise<boolean> {
  switch (kind) {
    case "room":
      return event.room_id === rule.rule_id;
    case "sender":
      return event.sender === rule.rule_id;
    case "content":
      return typeof rule.pattern === "string" && bodyMatches(event, rule.pattern);
    default:
      for (const c of rule.conditions ?? []) if (!(await conditionHolds(c, event, ctx))) return false;
      return true;
  }
}

/** "Actions": `notify` notifies; `set_tweak: highlight` highlights (its `value` defaults to true). */
function outcomeOf(actions: readonly unknown[]): PushOutcome {
  const notify = actions.includes("notify");
  const highlight = actions.some((a) => {
    const t = a as { set_tweak?: unknown; value?: unknown } | null;
    return typeof t === "object" && t?.set_tweak === "highlight" && t.value !== false;
  });
  return { notify, highlight: notify && highlight, actions };
}

async function conditionHolds(
  condition: unknown,
  event: Record<string, unknown>,
  ctx: PushContext,
): Promise<boolean> {
  if (typeof condition !== "object" || condition === null) return false;
  const c = condition as Record<string, unknown>;
  switch (c.kind) {
    case "event_match": {
      if (typeof c.key !== "string" || typeof c.pattern !== "string") return false;
      if (c.key === "content.body") return bodyMatches(event, c.pattern);
      const value = propertyAt(event, c.key);
      return typeof value === "string" && globRegExp(c.pattern, false).test(value);
    }
    case "event_property_is": {
      const value = propertyAt(event, c.key);
      return isScalar(value) && isScalar(c.value) && value === c.value;
    }
    case "event_property_contains": {
      const value = propertyAt(event, c.key);
      return Array.isArray(value) && isScalar(c.value) && value.some((v) => isScalar(v) && v === c.value);
    }
    case "contains_display_name": {
      const body = (event.content as { body?: unknown } | undefined)?.body;
      if (typeof body !== "string") return false;
      const name = await ctx.displayName();
      if (!name) return false;
      return wordRegExp(escapeRegExp(name)).test(body);
    }
    case "room_member_count":
      return typeof c.is === "string" && memberCountMatches(c.is, await ctx.memberCount());
    case "sender_notification_permission":
      return (
        typeof c.key === "string" && (await ctx.senderPowerLevel()) >= (await ctx.notificationLevel(c.key))
      );
    default:
      // "Unrecognised conditions MUST NOT match any events."
      return false;
  }
}

/** `content.body` matching: the glob must match a substring between word boundaries. */
function bodyMatches(event: Record<string, unknown>, pattern: string): boolean {
  const body = (event.content as { body?: unknown } | undefined)?.body;
  return typeof body === "string" && globRegExp(pattern, true).test(body);
}

/** Strings, booleans, null and integers in the canonical JSON range. */
function isScalar(v: unknown): v is string | number | boolean | null {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  return typeof v === "number" && Number.isSafeInteger(v);
}

/**
 * A property by its dot-separated path (Appendices, "Dot-separated property paths"): `\.` is a literal
 * dot and `\\` a literal backslash; other escapes stay as they are.
 */
export function propertyAt(event: unknown, key: unknown): unknown {
  if (typeof key !== "string") return undefined;
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    const next = key[i + 1];
    if (ch === "\\" && (next === "." || next === "\\")) {
      current += next;
      i++;
    } else if (ch === ".") {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  let value: unknown = event;
  for (const part of parts) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const globCache = new Map<string, RegExp>();

/**
 * A glob (Appendices, "Glob-style matching": `*` any run, `?` one character) as a case-insensitive
 * regular expression: over the whole value, or (`words`) over a substring between word boundaries —
 * the start or end of the value, or a character outside `[A-Za-z0-9_]`.
 */
function globRegExp(pattern: string, words: boolean): RegExp {
  const cacheKey = `${words ? "w" : "v"}${pattern}`;
  let re = globCache.get(cacheKey);
  if (!re) {
    const source = [...pattern]
      .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : escapeRegExp(ch)))
      .join("");
    re = words ? wordRegExp(source) : new RegExp(`^${source}$`, "is");
    if (globCache.size > 1000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re;
}

function wordRegExp(source: string): RegExp {
  return new RegExp(`(?:^|[^A-Za-z0-9_])${source}(?:[^A-Za-z0-9_]|$)`, "is");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `room_member_count`'s `is`: a decimal integer with an optional `==`, `<`, `>`, `>=` or `<=`. */
function memberCountMatches(is: string, count: number): boolean {
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case "<":
      return count < n;
    case ">":
      return count > n;
    case "<=":
      return count <= n;
    case ">=":
      return count >= n;
    default:
      return count === n;
  }
}

/**
 * Push rules (Client-Server API, Push Notifications module, "Push Rules" and "Push Rules: API"): the
 * server-default rules plus each user's own rules and changes. User-defined rules of a kind come before
 * the defaults of that kind, except that `.m.rule.master` stays first.
 */
import { MatrixError } from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import {
  PUSH_RULE_KINDS,
  type PushRuleKind,
  type PushRuleStore,
  type StoredPushRule,
  type UserPushRules,
} from "../../storage/push-rules.js";
import { defaultOverrideRules, defaultUnderrideRules } from "./default-rules.js";

/** A push rule as the API shows it. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: unknown[];
  conditions?: unknown[];
  pattern?: string;
}

/** A ruleset: the rules of each kind, in priority order. */
export type Ruleset = Record<PushRuleKind, PushRule[]>;

/** Whether `kind` is a push rule kind. */
export function isPushRuleKind(kind: string): kind is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(kind);
}

const ACTIONS = new Set(["notify", "dont_notify", "coalesce"]);

function validActions(actions: unknown): unknown[] {
  if (actions === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'actions'");
  if (!Array.isArray(actions)) throw new MatrixError("M_BAD_JSON", "actions must be an array");
  for (const a of actions) {
    if (typeof a === "string") {
      if (!ACTIONS.has(a)) throw new MatrixError("M_INVALID_PARAM", `Unknown action ${a}`);
    } else if (
      typeof a !== "object" ||
      a === null ||
      typeof (a as { set_tweak?: unknown }).set_tweak !== "string"
    ) {
      throw new MatrixError("M_INVALID_PARAM", "An action is a string or a set_tweak object");
    }
  }
  return actions;
}

/** Push rules of users. */
export class PushRulesService {
  constructor(
    private readonly db: Database,
    private readonly store: PushRuleStore,
    /** Called after a user's rules change (the `m.push_rules` account data changes with them). */
    private readonly onChange: (
      userId: string,
      ruleset: { global: Ruleset },
    ) => Promise<void> = async () => {},
  ) {}

  /** The full ruleset of a user (`GET /pushrules/global/`). */
  async ruleset(userId: string): Promise<Ruleset> {
    const stored = await this.store.get(userId);
    const withChanges = (r: PushRule): PushRule => {
      const change = stored.defaults[r.rule_id];
      return change ? { ...r, ...change } : r;
    };
    const custom = (kind: PushRuleKind): PushRule[] =>
      (stored.custom[kind] ?? []).map((r) => ({ ...r, default: false }));
    const [master, ...otherOverrides] = defaultOverrideRules(userId).map(withChanges);
    return {
      override: [master!, ...custom("override"), ...otherOverrides],
      content: custom("content"),
      room: custom("room"),
      sender: custom("sender"),
      underride: [...custom("underride"), ...defaultUnderrideRules(userId).map(withChanges)],
    };
  }

  /** The rules of one kind, in priority order (`GET /pushrules/global/{kind}/`). */
  async rulesOfKind(userId: string, kind: PushRuleKind): Promise<PushRule[]> {
    return (await this.ruleset(userId))[kind];
  }

  /** One rule; `M_NOT_FOUND` when there is none. */
  async rule(userId: string, kind: PushRuleKind, ruleId: string): Promise<PushRule> {
    const rule = (await this.ruleset(userId))[kind].find((r) => r.rule_id === ruleId);
    if (!rule) throw new MatrixError("M_NOT_FOUND", "The push rule was not found");
    return rule;
  }

  /**
   * `PUT /pushrules/global/{kind}/{ruleId}`: adds or replaces a user-defined rule. A new rule is
   * enabled and, without `before` or `after`, the most important user-defined rule of its kind; a
   * replaced rule keeps its place and whether it is enabled. With both, `before` decides (the spec).
   */
  async setRule(
    userId: string,
    kind: PushRuleKind,
    ruleId: string,
    body: Record<string, unknown>,
    placement: { before?: string; after?: string },
  ): Promise<void> {
    if (ruleId === "" || ruleId.startsWith(".")) {
      throw new MatrixError(
        "M_INVALID_PARAM",
        "Rule IDs starting with '.' are reserved for server-default rules",
      );
    }
    if (ruleId.includes("/") || ruleId.includes("\\")) {
      throw new MatrixError("M_INVALID_PARAM", "A rule ID may not contain '/' or '\\'");
    }
    const rule: { -readonly [K in keyof StoredPushRule]: StoredPushRule[K] } = {
      rule_id: ruleId,
      actions: validActions(body.actions),
      enabled: true,
    };
    if (kind === "content") {
      if (body.pattern === undefined)
        throw new MatrixError("M_MISSING_PARAM", "Content rules need a pattern");
      if (typeof body.pattern !== "string") throw new MatrixError("M_BAD_JSON", "pattern must be a string");
      rule.pattern = body.pattern;
    }
    if (kind === "override" || kind === "underride") {
      const conditions = body.conditions ?? [];
      if (
        !Array.isArray(conditions) ||
        !conditions.every((c) => typeof c === "object" && c !== null && typeof c.kind === "string")
      ) {
        throw new MatrixError("M_BAD_JSON", "conditions must be an array of objects with a kind");
      }
      rule.conditions = conditions;
    }
    // "before" wins when both are given: the rule becomes the next most important one after it.
    const anchor = placement.before ?? placement.after;
    if (anchor?.startsWith(".")) {
      throw new MatrixError("M_INVALID_PARAM", "A rule cannot be placed relative to a server-default rule");
    }
    const stored = await this.store.get(userId);
    const list = [...(stored.custom[kind] ?? [])];
    const existing = list.findIndex((r) => r.rule_id === ruleId);
    if (anchor !== undefined && (anchor === ruleId || !list.some((r) => r.rule_id === anchor))) {
      // The spec's 400 (its example: "before/after rule not found").
      throw new MatrixError("M_INVALID_PARAM", `before/after rule not found: ${anchor}`);
    }
    if (existing >= 0) {
      rule.enabled = list[existing]!.enabled;
      list.splice(existing, 1);
    }
    let at = existing >= 0 && anchor === undefined ? existing : 0;
    if (placement.before !== undefined) at = list.findIndex((r) => r.rule_id === placement.before);
    else if (placement.after !== undefined) at = list.findIndex((r) => r.rule_id === placement.after) + 1;
    list.splice(at, 0, rule);
    await this.#save(userId, { ...stored, custom: { ...stored.custom, [kind]: list } });
  }

  /** `DELETE /pushrules/global/{kind}/{ruleId}`: only user-defined rules can be deleted. */
  async deleteRule(userId: string, kind: PushRuleKind, ruleId: string): Promise<void> {
    const stored = await this.store.get(userId);
    const list = stored.custom[kind] ?? [];
    if (!list.some((r) => r.rule_id === ruleId)) {
      // A server-default rule cannot be deleted: the spec's 404 too, as Synapse answers.
      throw new MatrixError(
        "M_NOT_FOUND",
        ruleId.startsWith(".")
          ? "Server-default push rules cannot be deleted"
          : "The push rule was not found",
      );
    }
    await this.#save(userId, {
      ...stored,
      custom: { ...stored.custom, [kind]: list.filter((r) => r.rule_id !== ruleId) },
    });
  }

  /** `PUT .../enabled` and `PUT .../actions`. */
  async change(
    userId: string,
    kind: PushRuleKind,
    ruleId: string,
    change: { enabled?: boolean; actions?: unknown[] },
  ): Promise<void> {
    const rule = await this.rule(userId, kind, ruleId);
    if ("actions" in change) validActions(change.actions);
    const stored = await this.store.get(userId);
    if (rule.default) {
      const defaults = { ...stored.defaults, [ruleId]: { ...stored.defaults[ruleId], ...change } };
      await this.#save(userId, { ...stored, defaults });
    } else {
      const list = (stored.custom[kind] ?? []).map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r));
      await this.#save(userId, { ...stored, custom: { ...stored.custom, [kind]: list } });
    }
  }

  async #save(userId: string, rules: UserPushRules): Promise<void> {
    await this.db.write(this.store.setOps(userId, rules));
    await this.onChange(userId, { global: await this.ruleset(userId) });
  }
}

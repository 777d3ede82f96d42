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

  /** One rule; `M_NOT_FOUND` when there is none. */
  async rule(userId: string, kind: string, ruleId: string): Promise<PushRule> {
    if (!isPushRuleKind(kind)) throw new MatrixError("M_INVALID_PARAM", `Unknown rule kind ${kind}`);
    const rule = (await this.ruleset(userId))[kind].find((r) => r.rule_id === ruleId);
    if (!rule) throw new MatrixError("M_NOT_FOUND", "Unknown push rule");
    return rule;
  }

  /** `PUT /pushrules/global/{kind}/{ruleId}`: adds or replaces a user-defined rule. */
  async setRule(
    userId: string,
    kind: string,
    ruleId: string,
    body: Record<string, unknown>,
    placement: { before?: string; after?: string },
  ): Promise<void> {
    if (!isPushRuleKind(kind)) throw new MatrixError("M_INVALID_PARAM", `Unknown rule kind ${kind}`);
    if (ruleId.startsWith(".") || ruleId.includes("/") || ruleId.includes("\\") || ruleId === "") {
      throw new MatrixError("M_INVALID_PARAM", "Invalid rule ID (reserved or containing a slash)");
    }
    const rule: { -readonly [K in keyof StoredPushRule]: StoredPushRule[K] } = {
      rule_id: ruleId,
      actions: validActions(body.actions),
      enabled: true,
    };
    if (kind === "content") {
      if (typeof body.pattern !== "string")
        throw new MatrixError("M_MISSING_PARAM", "Content rules need a pattern");
      rule.pattern = body.pattern;
    }
    if (kind === "override" || kind === "underride") {
      const conditions = body.conditions ?? [];
      if (
        !Array.isArray(conditions) ||
        !conditions.every((c) => typeof c === "object" && c !== null && "kind" in c)
      ) {
        throw new MatrixError("M_BAD_JSON", "conditions must be an array of objects with a kind");
      }
      rule.conditions = conditions;
    }
    const stored = await this.store.get(userId);
    const list = [...(stored.custom[kind] ?? [])];
    const existing = list.findIndex((r) => r.rule_id === ruleId);
    const anchor = placement.before ?? placement.after;
    if (anchor !== undefined && !list.some((r) => r.rule_id === anchor)) {
      throw new MatrixError("M_NOT_FOUND", `before/after rule not found: ${anchor}`);
    }
    if (existing >= 0) {
      const previous = list[existing]!;
      rule.enabled = previous.enabled;
      list.splice(existing, 1);
    }
    let at = existing >= 0 && anchor === undefined ? existing : 0;
    if (placement.before !== undefined) at = list.findIndex((r) => r.rule_id === placement.before);
    else if (placement.after !== undefined) at = list.findIndex((r) => r.rule_id === placement.after) + 1;
    list.splice(at, 0, rule);
    await this.#save(userId, { ...stored, custom: { ...stored.custom, [kind]: list } });
  }

  /** `DELETE /pushrules/global/{kind}/{ruleId}`: only user-defined rules can be deleted. */
  async deleteRule(userId: string, kind: string, ruleId: string): Promise<void> {
    if (!isPushRuleKind(kind)) throw new MatrixError("M_INVALID_PARAM", `Unknown rule kind ${kind}`);
    const stored = await this.store.get(userId);
    const list = stored.custom[kind] ?? [];
    if (!list.some((r) => r.rule_id === ruleId)) throw new MatrixError("M_NOT_FOUND", "Unknown push rule");
    await this.#save(userId, {
      ...stored,
      custom: { ...stored.custom, [kind]: list.filter((r) => r.rule_id !== ruleId) },
    });
  }

  /** `PUT .../enabled` and `PUT .../actions`. */
  async change(
    userId: string,
    kind: string,
    ruleId: string,
    change: { enabled?: boolean; actions?: unknown[] },
  ) {
    const rule = await this.rule(userId, kind, ruleId);
    if (change.actions !== undefined) validActions(change.actions);
    const stored = await this.store.get(userId);
    if (rule.default) {
      const defaults = { ...stored.defaults, [ruleId]: { ...stored.defaults[ruleId], ...change } };
      await this.#save(userId, { ...stored, defaults });
    } else {
      const k = kind as PushRuleKind;
      const list = (stored.custom[k] ?? []).map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r));
      await this.#save(userId, { ...stored, custom: { ...stored.custom, [k]: list } });
    }
  }

  async #save(userId: string, rules: UserPushRules): Promise<void> {
    await this.db.write(this.store.setOps(userId, rules));
    await this.onChange(userId, { global: await this.ruleset(userId) });
  }
}

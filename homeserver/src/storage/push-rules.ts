/**
 * Push rules (`userid_pushrules`): per user, the user-defined rules of each kind in priority order, and
 * the user's changes to server-default rules (enabled, actions).
 */
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";

/** The push rule kinds, in evaluation order. */
export const PUSH_RULE_KINDS = ["override", "content", "room", "sender", "underride"] as const;
/** A push rule kind. */
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

/** A user-defined rule as stored. */
export interface StoredPushRule {
  readonly rule_id: string;
  readonly actions: unknown[];
  readonly enabled: boolean;
  readonly conditions?: unknown[];
  readonly pattern?: string;
}

/** What is stored per user. */
export interface UserPushRules {
  readonly custom: Partial<Record<PushRuleKind, StoredPushRule[]>>;
  readonly defaults: Record<string, { enabled?: boolean; actions?: unknown[] }>;
}

/** Reads and writes users' push rules. */
export class PushRuleStore {
  readonly #rules: Keyspace<UserPushRules>;

  constructor(db: Database) {
    this.#rules = db.keyspace("userid_pushrules");
  }

  /** A user's push rules (empty when never changed). */
  async get(userId: string): Promise<UserPushRules> {
    return (await this.#rules.get(userId)) ?? { custom: {}, defaults: {} };
  }

  /** The write operation that stores a user's push rules. */
  setOps(userId: string, rules: UserPushRules): WriteOp[] {
    return [put(this.#rules, userId, rules)];
  }
}

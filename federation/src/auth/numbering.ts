/**
 * The numbers the spec gives each authorization rule, per room version.
 *
 * The rules are the same in every version apart from a few added or removed branches, and each
 * addition or removal renumbers its siblings: v1–v5 have rule 4 for `m.room.aliases` (so the
 * membership rules are 5), v8 inserts 4.2 (`join_authorised_via_users_server`) before the join rules,
 * v12 inserts rule 2 (the room ID names the create event). This module derives every number from the
 * {@link RoomVersionRules} fields, so `AuthError.rule` is the number printed in that version's page.
 */
import type { RoomVersionRules } from "../room-versions/index.js";

/** Numbers the present entries of `entries` from 1 in order; absent entries get no number. */
function sequence<K extends string>(entries: Record<K, boolean>): Record<K, number> {
  const out = {} as Record<K, number>;
  let n = 0;
  for (const key of Object.keys(entries) as K[]) {
    if (entries[key]) out[key] = ++n;
    else out[key] = Number.NaN;
  }
  return out;
}

/** Rule numbers of one room version, as strings like `"5.3.2"`. */
export interface RuleNumbers {
  /** Rule 1 sub-rules: the `m.room.create` checks. */
  create(rule: "prevEvents" | "roomId" | "roomVersion" | "creator" | "additionalCreators"): string;
  /** v12 rule 2: the room ID is the ID of an accepted create event. */
  readonly roomIdIsCreate: string;
  /** The checks of the event's `auth_events`. */
  authEvents(rule: "duplicates" | "selection" | "rejected" | "noCreate" | "roomId"): string;
  /** The `m.federate` rule. */
  readonly federate: string;
  /** v1–v5 rule 4: `m.room.aliases`. */
  aliases(sub: 1 | 2): string;
  /** The membership rules: `sub` is the path below the membership rule, e.g. `member("join", 3)`. */
  member(
    section: "fields" | "joinAuthorisedSignature" | "join" | "invite" | "leave" | "ban" | "knock" | "unknown",
    ...sub: number[]
  ): string;
  /** Join sub-rules by name (their numbers shift with restricted joins). */
  join(
    rule: "onlyCreate" | "sender" | "banned" | "inviteRule" | "restricted" | "public" | "otherwise",
  ): string;
  /** The sender must be joined. */
  readonly senderJoined: string;
  /** The `m.room.third_party_invite` rule. */
  readonly thirdPartyInvite: string;
  /** The required power level rule. */
  readonly requiredPowerLevel: string;
  /** The `@`-state-key rule. */
  readonly stateKeyIsSender: string;
  /** `m.room.power_levels` sub-rules by name. */
  powerLevels(
    rule:
      | "namedIntegers"
      | "mapsIntegers"
      | "users"
      | "creatorsNotInUsers"
      | "named"
      | "mapsOld"
      | "mapsNew"
      | "usersOld"
      | "usersNew",
    sub?: number,
  ): string;
  /** v1, v2 rule 11: `m.room.redaction`. */
  redaction(sub: 3): string;
}

const computed = new WeakMap<RoomVersionRules, RuleNumbers>();

/** The rule numbers of a room version (computed once per version: every auth check reads them). */
export function ruleNumbers(rules: RoomVersionRules): RuleNumbers {
  let numbers = computed.get(rules);
  if (!numbers) {
    numbers = computeRuleNumbers(rules);
    computed.set(rules, numbers);
  }
  return numbers;
}

function computeRuleNumbers(rules: RoomVersionRules): RuleNumbers {
  const a = rules.auth;
  const roomIdNamesCreate = rules.roomIdFormat === "create-event-hash";
  const top = sequence({
    create: true,
    roomIdIsCreate: roomIdNamesCreate,
    authEvents: true,
    federate: true,
    aliases: a.aliasesRule,
    member: true,
    senderJoined: true,
    thirdPartyInvite: true,
    requiredPowerLevel: true,
    stateKeyIsSender: true,
    powerLevels: true,
    redaction: a.redactionRule,
  });
  const create = sequence({
    prevEvents: true,
    // v1–v11: "If the domain of the room_id does not match the domain of the sender"; v12: "If the
    // event has a room_id". Exactly one of them exists in a version, at the same position.
    roomId: true,
    roomVersion: true,
    creator: a.createRequiresCreator,
    additionalCreators: a.creators === "create-sender-and-additional-infinite",
  });
  // NOTE: v12 deletes "If there is no m.room.create event among the entries" (v11 2.4) but its
  // source keeps the next rule numbered 5 ("3.5"); we keep that number (the rendered list, which
  // renumbers sequentially, shows 3.4). So "noCreate" always takes a number.
  const authEvents = sequence({
    duplicates: true,
    selection: true,
    rejected: true,
    noCreate: true,
    roomId: true,
  });
  const member = sequence({
    fields: true,
    joinAuthorisedSignature: a.restrictedJoins,
    join: true,
    invite: true,
    leave: true,
    ban: true,
    knock: a.knocking,
    unknown: true,
  });
  const join = sequence({
    onlyCreate: true,
    sender: true,
    banned: true,
    inviteRule: true,
    restricted: a.restrictedJoins,
    public: true,
    otherwise: true,
  });
  const integerOnly = a.powerLevelValues === "integer-only";
  const pl = sequence({
    namedIntegers: integerOnly,
    mapsIntegers: integerOnly,
    users: true,
    creatorsNotInUsers: a.creators === "create-sender-and-additional-infinite",
    noPrevious: true,
    named: true,
    mapsOld: true,
    mapsNew: true,
    usersOld: true,
    usersNew: true,
  });
  const path = (...parts: number[]): string => {
    if (parts.some((p) => Number.isNaN(p))) throw new Error("BUG: rule absent from this room version");
    return parts.join(".");
  };
  return {
    create: (rule) => path(top.create, create[rule]),
    roomIdIsCreate: roomIdNamesCreate ? path(top.roomIdIsCreate) : "",
    authEvents: (rule) => path(top.authEvents, authEvents[rule]),
    federate: path(top.federate),
    aliases: (sub) => path(top.aliases, sub),
    member: (section, ...sub) => path(top.member, member[section], ...sub),
    join: (rule) => path(top.member, member.join, join[rule]),
    senderJoined: path(top.senderJoined),
    thirdPartyInvite: path(top.thirdPartyInvite),
    requiredPowerLevel: path(top.requiredPowerLevel),
    stateKeyIsSender: path(top.stateKeyIsSender),
    powerLevels: (rule, sub) =>
      sub === undefined ? path(top.powerLevels, pl[rule]) : path(top.powerLevels, pl[rule], sub),
    redaction: (sub) => path(top.redaction, sub),
  };
}

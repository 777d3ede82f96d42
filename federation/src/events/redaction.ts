/**
 * The redaction algorithm of each room version ("Redactions" on each room version's page; see the
 * fragments v1, v6, v9 and v11 and room version 8's own list). Every variant is data: the top-level
 * keys kept, and per event type the content keys kept.
 */
import { type RedactionAlgorithm, roomVersionRules } from "../room-versions/index.js";
import type { JsonObject, JsonValue } from "./types.js";

interface RedactionRules {
  /** Top-level keys kept. */
  readonly topLevel: ReadonlySet<string>;
  /** Content keys kept per event type; `"*"` keeps the whole content. */
  readonly content: Readonly<Record<string, readonly string[] | "*">>;
  /** v11+: `m.room.member` also keeps `third_party_invite.signed`. */
  readonly memberThirdPartyInviteSigned: boolean;
}

const V1_TOP_LEVEL = new Set([
  "event_id",
  "type",
  "room_id",
  "sender",
  "state_key",
  "content",
  "hashes",
  "signatures",
  "depth",
  "prev_events",
  "prev_state",
  "auth_events",
  "origin",
  "origin_server_ts",
  "membership",
]);

const V1_POWER_LEVELS = [
  "ban",
  "events",
  "events_default",
  "kick",
  "redact",
  "state_default",
  "users",
  "users_default",
];

const v1: RedactionRules = {
  topLevel: V1_TOP_LEVEL,
  content: {
    "m.room.member": ["membership"],
    "m.room.create": ["creator"],
    "m.room.join_rules": ["join_rule"],
    "m.room.power_levels": V1_POWER_LEVELS,
    "m.room.aliases": ["aliases"],
    "m.room.history_visibility": ["history_visibility"],
  },
  memberThirdPartyInviteSigned: false,
};

// v6: `m.room.aliases` no longer keeps `aliases`.
const { "m.room.aliases": _aliases, ...v6Content } = v1.content;
const v6: RedactionRules = { ...v1, content: v6Content };

// v8: `m.room.join_rules` keeps `allow`.
const v8: RedactionRules = { ...v6, content: { ...v6.content, "m.room.join_rules": ["join_rule", "allow"] } };

// v9: `m.room.member` keeps `join_authorised_via_users_server`.
const v9: RedactionRules = {
  ...v8,
  content: { ...v8.content, "m.room.member": ["membership", "join_authorised_via_users_server"] },
};

// v11: fewer top-level keys; create keeps all content; power levels keep `invite`; redaction keeps
// `redacts`; member keeps `third_party_invite.signed`.
const v11: RedactionRules = {
  topLevel: new Set([
    "event_id",
    "type",
    "room_id",
    "sender",
    "state_key",
    "content",
    "hashes",
    "signatures",
    "depth",
    "prev_events",
    "auth_events",
    "origin_server_ts",
  ]),
  content: {
    ...v9.content,
    "m.room.create": "*",
    "m.room.power_levels": [...V1_POWER_LEVELS, "invite"],
    "m.room.redaction": ["redacts"],
  },
  memberThirdPartyInviteSigned: true,
};

const ALGORITHMS: Readonly<Record<RedactionAlgorithm, RedactionRules>> = { v1, v6, v8, v9, v11 };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The redacted form of `event` under the room version's redaction algorithm: top-level keys not in
 * the version's list are removed (so `unsigned` always is), and `content` keeps only the keys its
 * event type protects; `content` is always present, `{}` at least. The input is not modified.
 */
export function redactEvent<T extends object>(event: T, roomVersion: string): T {
  const rules = ALGORITHMS[roomVersionRules(roomVersion).redaction];
  const source = event as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(source)) {
    if (rules.topLevel.has(key) && source[key] !== undefined) out[key] = source[key]!;
  }
  const content = isObject(source.content) ? source.content : {};
  const type = source.type;
  const kept =
    typeof type === "string" && Object.hasOwn(rules.content, type) ? rules.content[type] : undefined;
  let newContent: JsonObject = {};
  if (kept === "*") {
    newContent = { ...content };
  } else if (kept) {
    for (const key of kept) if (Object.hasOwn(content, key)) newContent[key] = content[key]!;
  }
  if (rules.memberThirdPartyInviteSigned && type === "m.room.member") {
    const tpi = content.third_party_invite;
    if (isObject(tpi) && Object.hasOwn(tpi, "signed"))
      newContent.third_party_invite = { signed: tpi.signed! };
  }
  out.content = newContent;
  return out as T;
}

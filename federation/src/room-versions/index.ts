/**
 * Room versions 1–12 as data ("Room Versions" in the spec, and each version's page).
 *
 * Every difference between room versions is a field of {@link RoomVersionRules}. Rule code reads
 * these fields; it never compares version numbers.
 */
import { UnsupportedRoomVersionError } from "../errors/index.js";

/** How an event's ID is obtained. */
export type EventIdFormat =
  /** v1, v2: `$opaque:domain`, chosen by the origin server and carried in the event. */
  | "server-assigned"
  /** v3: `$` + reference hash in standard unpadded base64. */
  | "reference-hash-base64"
  /** v4+: `$` + reference hash in URL-safe unpadded base64. */
  | "reference-hash-urlsafe";

/** How `prev_events` and `auth_events` reference other events. */
export type EventReferenceFormat =
  /** v1, v2: `[[event_id, {sha256: hash}], ...]`. */
  | "id-and-hash"
  /** v3+: `[event_id, ...]`. */
  | "id-only";

/** How a room's ID is obtained. */
export type RoomIdFormat =
  /** v1–v11: `!opaque:domain`, chosen by the creating server and carried in the create event. */
  | "server-assigned"
  /** v12: `!` + the create event's reference hash (URL-safe); the create event has no `room_id`. */
  | "create-event-hash";

/** Which redaction algorithm ("Redactions") the version uses. */
export type RedactionAlgorithm = "v1" | "v6" | "v8" | "v9" | "v11";

/** Which state resolution algorithm the version uses. */
export type StateResolutionAlgorithm = "v1" | "v2" | "v2.1";

/** Who a room's creators are, for the authorization rules. */
export type CreatorSemantics =
  /** v1–v10: `content.creator` of the create event. */
  | "content-creator"
  /** v11: the `sender` of the create event. */
  | "create-sender"
  /**
   * v12: the `sender` of the create event plus `content.additional_creators`; creators have
   * infinite power level and may not appear in `m.room.power_levels` `users`.
   */
  | "create-sender-and-additional-infinite";

/** How values in `m.room.power_levels` are read. */
export type PowerLevelValues =
  /** v1–v5: integers, integer-looking strings, and floats (truncated). */
  | "lenient-with-floats"
  /** v6–v9: integers and integer-looking strings (canonical JSON forbids floats). */
  | "integer-or-string"
  /** v10+: integers only; anything else makes the power levels event fail auth. */
  | "integer-only";

/** Authorization-rule variants ("Authorization rules" of each room version). */
export interface AuthRuleVariants {
  /**
   * v1, v2: events need a signature from the domain of their `event_id` (checked with signatures,
   * not by the auth rules), and rule 11 checks `m.room.redaction` events against the redact level or
   * the event-ID domain of the redacted event.
   */
  readonly redactionRule: boolean;
  /** v1–v5: rule 4, `m.room.aliases` events must have a state key equal to the sender's domain. */
  readonly aliasesRule: boolean;
  /** v1–v11: the create event's `room_id` domain must match its sender's domain (rule 1.2). */
  readonly createRoomIdDomainCheck: boolean;
  /** v1–v10: the create event must have `content.creator` (rule 1.4). */
  readonly createRequiresCreator: boolean;
  /** v6+: `notifications` in power levels is checked like `events`. */
  readonly notificationsPowerLevels: boolean;
  /** v7+: the `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: the `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** How power level values are read. */
  readonly powerLevelValues: PowerLevelValues;
  /** Who the room's creators are. */
  readonly creators: CreatorSemantics;
  /**
   * v1–v11: the create event is one of every other event's auth events. v12: it must not be; the
   * room ID names it instead.
   */
  readonly createEventInAuthEvents: boolean;
}

/** Everything that differs between room versions. */
export interface RoomVersionRules {
  /** The version identifier, as it appears in `m.room.create` `content.room_version`. */
  readonly id: string;
  /** Stable versions may be used for new rooms. */
  readonly stability: "stable" | "unstable";
  readonly eventIdFormat: EventIdFormat;
  readonly eventReferenceFormat: EventReferenceFormat;
  readonly roomIdFormat: RoomIdFormat;
  readonly redaction: RedactionAlgorithm;
  /** v11+: `redacts` of `m.room.redaction` lives in `content` (the top-level key is kept for compatibility). */
  readonly redactsInContent: boolean;
  readonly stateResolution: StateResolutionAlgorithm;
  /** v6+: events must be valid canonical JSON (integer range, no floats); v1–v5 must not enforce it. */
  readonly strictCanonicalJson: boolean;
  /** v5+: a signing key's `valid_until_ts` must cover the event's `origin_server_ts`. */
  readonly enforceKeyValidity: boolean;
  readonly auth: AuthRuleVariants;
}

const v1: RoomVersionRules = {
  id: "1",
  stability: "stable",
  eventIdFormat: "server-assigned",
  eventReferenceFormat: "id-and-hash",
  roomIdFormat: "server-assigned",
  redaction: "v1",
  redactsInContent: false,
  stateResolution: "v1",
  strictCanonicalJson: false,
  enforceKeyValidity: false,
  auth: {
    redactionRule: true,
    aliasesRule: true,
    createRoomIdDomainCheck: true,
    createRequiresCreator: true,
    notificationsPowerLevels: false,
    knocking: false,
    restrictedJoins: false,
    knockRestricted: false,
    powerLevelValues: "lenient-with-floats",
    creators: "content-creator",
    createEventInAuthEvents: true,
  },
};

const v2: RoomVersionRules = { ...v1, id: "2", stateResolution: "v2" };

const v3: RoomVersionRules = {
  ...v2,
  id: "3",
  eventIdFormat: "reference-hash-base64",
  eventReferenceFormat: "id-only",
  auth: { ...v2.auth, redactionRule: false },
};

const v4: RoomVersionRules = { ...v3, id: "4", eventIdFormat: "reference-hash-urlsafe" };

const v5: RoomVersionRules = { ...v4, id: "5", enforceKeyValidity: true };

const v6: RoomVersionRules = {
  ...v5,
  id: "6",
  redaction: "v6",
  strictCanonicalJson: true,
  auth: {
    ...v5.auth,
    aliasesRule: false,
    notificationsPowerLevels: true,
    powerLevelValues: "integer-or-string",
  },
};

const v7: RoomVersionRules = { ...v6, id: "7", auth: { ...v6.auth, knocking: true } };

const v8: RoomVersionRules = {
  ...v7,
  id: "8",
  redaction: "v8",
  auth: { ...v7.auth, restrictedJoins: true },
};

const v9: RoomVersionRules = { ...v8, id: "9", redaction: "v9" };

const v10: RoomVersionRules = {
  ...v9,
  id: "10",
  auth: { ...v9.auth, knockRestricted: true, powerLevelValues: "integer-only" },
};

const v11: RoomVersionRules = {
  ...v10,
  id: "11",
  redaction: "v11",
  redactsInContent: true,
  auth: { ...v10.auth, createRequiresCreator: false, creators: "create-sender" },
};

const v12: RoomVersionRules = {
  ...v11,
  id: "12",
  roomIdFormat: "create-event-hash",
  stateResolution: "v2.1",
  auth: {
    ...v11.auth,
    createRoomIdDomainCheck: false,
    creators: "create-sender-and-additional-infinite",
    createEventInAuthEvents: false,
  },
};

/** All known room versions, by identifier. */
export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersionRules> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((r) => [r.id, r]),
);

/** The version new rooms use unless told otherwise ("Room Versions": servers SHOULD use 12). */
export const DEFAULT_ROOM_VERSION = "12";

/** The rules of a room version; throws {@link UnsupportedRoomVersionError} for an unknown one. */
export function roomVersionRules(roomVersion: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(roomVersion);
  if (!rules) throw new UnsupportedRoomVersionError(roomVersion);
  return rules;
}

/** Whether a room version is known. */
export function isKnownRoomVersion(roomVersion: unknown): roomVersion is string {
  return typeof roomVersion === "string" && ROOM_VERSIONS.has(roomVersion);
}

/**
 * Reading `m.room.power_levels` for the authorization rules: value parsing per room version, the
 * defaults, the creators' levels, and the levels the rules compare against.
 *
 * - v1–v5 ("stringy" and "floaty" power levels): integers, integer-looking strings
 *   (`" +0100 "`), and floats, which are truncated; non-finite values are invalid.
 * - v6–v9: integers and integer-looking strings.
 * - v10+: integers only.
 */
import type { PowerLevelValues, RoomVersionRules } from "../room-versions/index.js";
import { roomVersionRules } from "../room-versions/index.js";
import { isValidUserId } from "./identifiers.js";

/** The top-level integer properties of `m.room.power_levels` content. */
export const NAMED_POWER_LEVELS = [
  "users_default",
  "events_default",
  "state_default",
  "ban",
  "redact",
  "kick",
  "invite",
] as const;

/** One of {@link NAMED_POWER_LEVELS}. */
export type NamedPowerLevel = (typeof NAMED_POWER_LEVELS)[number];

/**
 * The value of each named level when it is absent, or when the room has no power levels event
 * (`m.room.power_levels` schema; `state_default` is 50 in both cases since spec v1.7).
 */
export const POWER_LEVEL_DEFAULTS: Readonly<Record<NamedPowerLevel, number>> = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
};

/** The power level a v1–v11 room's creator has while the room has no `m.room.power_levels` event. */
export const CREATOR_DEFAULT_POWER_LEVEL = 100;

// "Stringy" power levels: optional whitespace, optional single sign, decimal digits (leading zeroes
// allowed), optional whitespace.
const INTEGER_STRING = /^\s*[+-]?[0-9]+\s*$/;

/**
 * Reads one power level value as the room version allows, or `undefined` if it is not a valid one.
 * `-0` reads as `0`.
 */
export function parsePowerLevelValue(value: unknown, mode: PowerLevelValues): number | undefined {
  let n: number;
  if (typeof value === "number") {
    if (mode === "lenient-with-floats") {
      // "floaty": values outside binary64, Infinity and NaN are invalid; others are truncated.
      if (!Number.isFinite(value)) return undefined;
      n = Math.trunc(value);
    } else {
      if (!Number.isInteger(value)) return undefined;
      n = value;
    }
  } else if (typeof value === "string" && mode !== "integer-only") {
    if (!INTEGER_STRING.test(value)) return undefined;
    n = Number(value.trim());
    if (!Number.isFinite(n)) return undefined;
  } else {
    return undefined;
  }
  return n === 0 ? 0 : n;
}

/** The parsed values of an `m.room.power_levels` content; absent properties are absent here too. */
export interface ParsedPowerLevels {
  /** The named levels that are present (and valid). */
  readonly named: Partial<Record<NamedPowerLevel, number>>;
  /** `events`: event type → level. */
  readonly events: ReadonlyMap<string, number>;
  /** `notifications`: key → level. */
  readonly notifications: ReadonlyMap<string, number>;
  /** `users`: user ID → level. */
  readonly users: ReadonlyMap<string, number>;
}

/** Something in a power levels content that the room version does not accept. */
export interface PowerLevelsProblem {
  /** Which part of the content: a named level, `events`, `notifications` or `users`. */
  readonly property: NamedPowerLevel | "events" | "notifications" | "users";
  /** A description quoting the offending key or value. */
  readonly detail: string;
}

/** The result of {@link parsePowerLevelsContent}: what could be read, and what could not. */
export interface PowerLevelsParse {
  /** The valid values; invalid ones are left out (so they read as absent). */
  readonly levels: ParsedPowerLevels;
  /** The invalid parts, in the order the v10+ rules check them; empty if all is valid. */
  readonly problems: readonly PowerLevelsProblem[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses an `m.room.power_levels` content as the room version reads it. Invalid values are reported
 * in `problems` and left out of `levels`; `users` keys must also be valid user IDs.
 */
export function parsePowerLevelsContent(content: unknown, mode: PowerLevelValues): PowerLevelsParse {
  const c = isPlainObject(content) ? content : {};
  const problems: PowerLevelsProblem[] = [];
  const named: Partial<Record<NamedPowerLevel, number>> = {};
  for (const key of NAMED_POWER_LEVELS) {
    if (!(key in c) || c[key] === undefined) continue;
    const value = parsePowerLevelValue(c[key], mode);
    if (value === undefined) problems.push({ property: key, detail: `${key} is ${JSON.stringify(c[key])}` });
    else named[key] = value;
  }
  const readMap = (property: "events" | "notifications" | "users"): Map<string, number> => {
    const out = new Map<string, number>();
    const raw = c[property];
    if (raw === undefined) return out;
    if (!isPlainObject(raw)) {
      problems.push({ property, detail: `${property} is not an object` });
      return out;
    }
    for (const [key, rawValue] of Object.entries(raw)) {
      if (property === "users" && !isValidUserId(key)) {
        problems.push({ property, detail: `users key ${JSON.stringify(key)} is not a valid user ID` });
        continue;
      }
      const value = parsePowerLevelValue(rawValue, mode);
      if (value === undefined) {
        problems.push({
          property,
          detail: `${property}[${JSON.stringify(key)}] is ${JSON.stringify(rawValue)}`,
        });
      } else out.set(key, value);
    }
    return out;
  };
  const events = readMap("events");
  const notifications = readMap("notifications");
  const users = readMap("users");
  return { levels: { named, events, notifications, users }, problems };
}

/** The parsed levels of a power levels event (or `undefined` for none), invalid values left out. */
export function readPowerLevels(
  powerLevelsEvent: object | undefined,
  rules: RoomVersionRules,
): ParsedPowerLevels | undefined {
  if (!powerLevelsEvent) return undefined;
  return parsePowerLevelsContent(
    (powerLevelsEvent as { content?: unknown }).content,
    rules.auth.powerLevelValues,
  ).levels;
}

/**
 * The room's creators as the room version defines them: v1–v10 `content.creator`; v11 the create
 * event's `sender`; v12 the `sender` plus `content.additional_creators` (the strings in it).
 */
export function roomCreators(create: object, roomVersion: string): string[] {
  return creatorsOf(create, roomVersionRules(roomVersion));
}

/** {@link roomCreators} with the rules already looked up. */
export function creatorsOf(create: object, rules: RoomVersionRules): string[] {
  const ev = create as { sender?: unknown; content?: unknown };
  const content = isPlainObject(ev.content) ? ev.content : {};
  switch (rules.auth.creators) {
    case "content-creator":
      return typeof content.creator === "string" ? [content.creator] : [];
    case "create-sender":
      return typeof ev.sender === "string" ? [ev.sender] : [];
    case "create-sender-and-additional-infinite": {
      const out = typeof ev.sender === "string" ? [ev.sender] : [];
      if (Array.isArray(content.additional_creators)) {
        for (const c of content.additional_creators)
          if (typeof c === "string" && !out.includes(c)) out.push(c);
      }
      return out;
    }
  }
}

/** {@link userPowerLevel} over already-parsed levels. */
export function powerLevelOf(
  userId: string,
  levels: ParsedPowerLevels | undefined,
  create: object,
  rules: RoomVersionRules,
): number {
  const creators = creatorsOf(create, rules);
  if (rules.auth.creators === "create-sender-and-additional-infinite" && creators.includes(userId)) {
    return Number.POSITIVE_INFINITY;
  }
  if (levels)
    return levels.users.get(userId) ?? levels.named.users_default ?? POWER_LEVEL_DEFAULTS.users_default;
  // No power levels event: v1–v11 creators have 100 (v12 creators are infinite, above), others 0.
  return creators.includes(userId) ? CREATOR_DEFAULT_POWER_LEVEL : POWER_LEVEL_DEFAULTS.users_default;
}

/**
 * A user's power level in a room: `users[userId]`, else `users_default`, else 0; with no power levels
 * event, 100 for a v1–v11 creator and 0 for everyone else. In v12, creators (the create event's
 * `sender` and `content.additional_creators`) have `Infinity`, whatever the power levels say.
 *
 * @param powerLevels the room's `m.room.power_levels` event, or `undefined` if it has none
 * @param create the room's `m.room.create` event
 */
export function userPowerLevel(
  userId: string,
  powerLevels: object | undefined,
  create: object,
  roomVersion: string,
): number {
  const rules = roomVersionRules(roomVersion);
  return powerLevelOf(userId, readPowerLevels(powerLevels, rules), create, rules);
}

/** The value of a named level (`ban`, `invite`, …), or its default. */
export function namedLevelOf(levels: ParsedPowerLevels | undefined, name: NamedPowerLevel): number {
  return levels?.named[name] ?? POWER_LEVEL_DEFAULTS[name];
}

/**
 * A named level (`invite`, `kick`, `ban`, `redact`, the defaults) of a room, or its default when the
 * content or the whole power levels event is absent.
 */
export function namedPowerLevel(
  name: NamedPowerLevel,
  powerLevels: object | undefined,
  roomVersion: string,
): number {
  return namedLevelOf(readPowerLevels(powerLevels, roomVersionRules(roomVersion)), name);
}

/** {@link requiredPowerLevel} over already-parsed levels. */
export function requiredLevelOf(
  eventType: string,
  isState: boolean,
  levels: ParsedPowerLevels | undefined,
): number {
  return (
    levels?.events.get(eventType) ??
    (isState ? namedLevelOf(levels, "state_default") : namedLevelOf(levels, "events_default"))
  );
}

/**
 * The *required power level* of an event type (server-server API, "Definitions"): `events[type]`,
 * else `state_default` (50) for state events or `events_default` (0) for others.
 *
 * @param stateKey the event's `state_key`; `undefined` for a non-state event
 * @param powerLevels the room's `m.room.power_levels` event, or `undefined` if it has none
 */
export function requiredPowerLevel(
  eventType: string,
  stateKey: string | undefined,
  powerLevels: object | undefined,
  roomVersion: string,
): number {
  return requiredLevelOf(
    eventType,
    typeof stateKey === "string",
    readPowerLevels(powerLevels, roomVersionRules(roomVersion)),
  );
}

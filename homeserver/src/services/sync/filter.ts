/**
 * Filters (Client-Server API, "Filtering"; `POST /user/{userId}/filter` request body): parsing and
 * validation of the filter JSON, and matching events against `EventFilter` / `RoomEventFilter`.
 * Unknown fields are ignored; fields of the wrong type are refused, so a client learns about a typo'd
 * filter instead of silently receiving everything.
 */
import { MAX_CLIENT_JSON_DEPTH, MatrixError, parseJson } from "@hearth/federation";

/** `EventFilter`. */
export interface EventFilter {
  readonly limit?: number;
  readonly types?: readonly string[];
  readonly not_types?: readonly string[];
  readonly senders?: readonly string[];
  readonly not_senders?: readonly string[];
}

/** `RoomEventFilter`: an {@link EventFilter} plus room, URL and lazy-loading options. */
export interface RoomEventFilter extends EventFilter {
  readonly rooms?: readonly string[];
  readonly not_rooms?: readonly string[];
  readonly contains_url?: boolean;
  readonly lazy_load_members?: boolean;
  readonly include_redundant_members?: boolean;
  readonly unread_thread_notifications?: boolean;
}

/** `RoomFilter`. */
export interface RoomFilter {
  readonly rooms?: readonly string[];
  readonly not_rooms?: readonly string[];
  readonly include_leave?: boolean;
  readonly timeline?: RoomEventFilter;
  readonly state?: RoomEventFilter;
  readonly ephemeral?: RoomEventFilter;
  readonly account_data?: RoomEventFilter;
}

/** `Filter`: the whole sync filter. */
export interface Filter {
  readonly event_fields?: readonly string[];
  readonly event_format?: "client" | "federation";
  readonly presence?: EventFilter;
  readonly account_data?: EventFilter;
  readonly room?: RoomFilter;
}

/** The largest `limit` a filter may ask for; larger values are clamped (a resource bound, per spec). */
export const MAX_FILTER_LIMIT = 1000;

/** Where a filter came from, which decides the errcode of a bad one. */
export type FilterSource = "body" | "query";

class FilterShapeError extends Error {
  override readonly name = "FilterShapeError";
}

function fail(path: string, what: string): never {
  throw new FilterShapeError(`'${path}' must be ${what}`);
}

function obj(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(path, "an object");
  return v as Record<string, unknown>;
}

function strings(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) fail(path, "an array of strings");
  return v as string[];
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") fail(path, "a boolean");
  return v;
}

function limit(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(path, "a non-negative integer");
  return Math.min(v, MAX_FILTER_LIMIT);
}

function eventFilter(v: unknown, path: string): EventFilter | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return dropUndefined({
    limit: limit(o.limit, `${path}.limit`),
    types: strings(o.types, `${path}.types`),
    not_types: strings(o.not_types, `${path}.not_types`),
    senders: strings(o.senders, `${path}.senders`),
    not_senders: strings(o.not_senders, `${path}.not_senders`),
  });
}

function roomEventFilter(v: unknown, path: string): RoomEventFilter | undefined {
  const base = eventFilter(v, path);
  if (!base) return undefined;
  const o = v as Record<string, unknown>;
  return dropUndefined({
    ...base,
    rooms: strings(o.rooms, `${path}.rooms`),
    not_rooms: strings(o.not_rooms, `${path}.not_rooms`),
    contains_url: bool(o.contains_url, `${path}.contains_url`),
    lazy_load_members: bool(o.lazy_load_members, `${path}.lazy_load_members`),
    include_redundant_members: bool(o.include_redundant_members, `${path}.include_redundant_members`),
    unread_thread_notifications: bool(o.unread_thread_notifications, `${path}.unread_thread_notifications`),
  });
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

function withShapeErrors<T>(source: FilterSource, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FilterShapeError) {
      throw new MatrixError(
        source === "body" ? "M_BAD_JSON" : "M_INVALID_PARAM",
        `Invalid filter: ${e.message}`,
      );
    }
    throw e;
  }
}

/**
 * Parses a `Filter` object. Wrong shapes are `M_BAD_JSON` in a request body and `M_INVALID_PARAM` in
 * a query parameter (the inline `filter` of `/sync`).
 */
export function parseFilter(value: unknown, source: FilterSource): Filter {
  return withShapeErrors(source, () => {
    const o = obj(value, "filter");
    if (!o) fail("filter", "an object");
    const format = o.event_format;
    if (format !== undefined && format !== null && format !== "client" && format !== "federation") {
      fail("event_format", "'client' or 'federation'");
    }
    const room = obj(o.room, "room");
    return dropUndefined({
      event_fields: strings(o.event_fields, "event_fields"),
      event_format: (format ?? undefined) as Filter["event_format"],
      presence: eventFilter(o.presence, "presence"),
      account_data: eventFilter(o.account_data, "account_data"),
      room: room
        ? dropUndefined({
            rooms: strings(room.rooms, "room.rooms"),
            not_rooms: strings(room.not_rooms, "room.not_rooms"),
            include_leave: bool(room.include_leave, "room.include_leave"),
            timeline: roomEventFilter(room.timeline, "room.timeline"),
            state: roomEventFilter(room.state, "room.state"),
            ephemeral: roomEventFilter(room.ephemeral, "room.ephemeral"),
            account_data: roomEventFilter(room.account_data, "room.account_data"),
          })
        : undefined,
    });
  });
}

/** Parses a `RoomEventFilter` (the `filter` query parameter of `/messages` and `/context`). */
export function parseRoomEventFilter(value: unknown, source: FilterSource): RoomEventFilter {
  return withShapeErrors(source, () => roomEventFilter(value, "filter") ?? fail("filter", "an object"));
}

/**
 * Parses JSON text given in a query parameter, within the request body's limits; `M_INVALID_PARAM`
 * when it is not JSON, `M_BAD_JSON` when it is too deep or holds a lone surrogate.
 */
export function parseQueryJson(text: string, name: string): unknown {
  try {
    return parseJson(text, { maxDepth: MAX_CLIENT_JSON_DEPTH });
  } catch (e) {
    if (e instanceof MatrixError && e.errcode === "M_NOT_JSON")
      throw new MatrixError("M_INVALID_PARAM", `'${name}' is not valid JSON`);
    throw e;
  }
}

const globCache = new Map<string, RegExp>();

/** Whether `value` matches `pattern`, where `*` matches any sequence of characters. */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "s");
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/** What a filter looks at in an event. */
export interface FilterableEvent {
  readonly type: string;
  readonly sender?: string;
  readonly roomId?: string;
  readonly content?: unknown;
}

/** Whether an event passes an `EventFilter` (types and senders; `not_*` win over the lists). */
export function matchesEventFilter(filter: EventFilter | undefined, ev: FilterableEvent): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((p) => globMatches(p, ev.type))) return false;
  if (filter.types && !filter.types.some((p) => globMatches(p, ev.type))) return false;
  if (ev.sender !== undefined) {
    if (filter.not_senders?.includes(ev.sender)) return false;
    if (filter.senders && !filter.senders.includes(ev.sender)) return false;
  }
  return true;
}

/** Whether an event passes a `RoomEventFilter`. */
export function matchesRoomEventFilter(filter: RoomEventFilter | undefined, ev: FilterableEvent): boolean {
  if (!filter) return true;
  if (!matchesEventFilter(filter, ev)) return false;
  if (ev.roomId !== undefined && !roomAllowed(filter, ev.roomId)) return false;
  if (filter.contains_url !== undefined) {
    const content = ev.content;
    const hasUrl =
      typeof content === "object" &&
      content !== null &&
      typeof (content as { url?: unknown }).url === "string";
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/** Whether a room passes `rooms` / `not_rooms` (`not_rooms` wins). */
export function roomAllowed(
  filter: { rooms?: readonly string[]; not_rooms?: readonly string[] } | undefined,
  roomId: string,
): boolean {
  if (!filter) return true;
  if (filter.not_rooms?.includes(roomId)) return false;
  if (filter.rooms && !filter.rooms.includes(roomId)) return false;
  return true;
}

/**
 * Keeps only the `event_fields` of a client event (Appendices, "Dot-separated property paths":
 * `.` separates levels, `\.` is a literal dot and `\\` a literal backslash).
 */
export function applyEventFields(
  event: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = splitDotPath(field);
    if (path.length === 0) continue;
    let src: unknown = event;
    let ok = true;
    for (const p of path) {
      if (typeof src !== "object" || src === null || Array.isArray(src) || !(p in src)) {
        ok = false;
        break;
      }
      src = (src as Record<string, unknown>)[p];
    }
    if (!ok) continue;
    let dst = out;
    for (const p of path.slice(0, -1)) {
      const next = dst[p];
      if (typeof next !== "object" || next === null) dst[p] = {};
      dst = dst[p] as Record<string, unknown>;
    }
    dst[path[path.length - 1]!] = src;
  }
  return out;
}

function splitDotPath(path: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === "\\" && (path[i + 1] === "." || path[i + 1] === "\\")) {
      cur += path[i + 1];
      i++;
    } else if (ch === ".") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** What the event filters read of a stored event. */
export function eventView(ev: {
  readonly roomId: string;
  readonly pdu: { readonly type: string; readonly sender: string; readonly content: unknown };
}) {
  return { type: ev.pdu.type, sender: ev.pdu.sender, roomId: ev.roomId, content: ev.pdu.content };
}

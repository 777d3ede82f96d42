/**
 * Tokens. Both are opaque to clients (Client-Server API, "Syncing", "Pagination").
 *
 * - Sync tokens (`next_batch`, `since`):
 *   `s{events}_{accountData}_{receipts}_{typing}_{presence}_{toDevice}_{deviceLists}`, one decimal position per
 *   stream. Streams added later append further `_{n}` parts; a token with fewer parts reads the
 *   missing ones as 0, so old tokens stay valid.
 * - Pagination tokens (`prev_batch`, `start`, `end`): `t{depth}_{stream}`, a point in a room's
 *   topological order (depth, then stream ordering). The token names the gap just after the event at
 *   (depth, stream): paginating backwards from it returns that event and earlier ones, forwards
 *   returns the events after it. `t0_0` is the start of the room.
 *
 * `/messages` and `/members?at=` also accept sync tokens (clients pass `prev_batch`/`next_batch`).
 */
import { MatrixError } from "@hearth/federation";

/** Stream positions of a sync token. */
export interface SyncToken {
  readonly events: number;
  readonly accountData: number;
  readonly receipts: number;
  readonly typing: number;
  readonly presence: number;
  readonly toDevice: number;
  readonly deviceLists: number;
}

/** A point in a room's topological order: just after the event at (depth, stream). */
export interface TopoToken {
  readonly depth: number;
  readonly stream: number;
}

/** A pagination token: a topological point, or a sync token's stream position. */
export type PaginationToken =
  | ({ readonly kind: "topo" } & TopoToken)
  | ({ readonly kind: "sync" } & SyncToken);

const SYNC_RE = /^s(\d{1,16})((?:_\d{1,16})*)$/;
const TOPO_RE = /^t(\d{1,16})_(\d{1,16})$/;

function safe(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Formats a sync token. */
export function formatSyncToken(t: SyncToken): string {
  return `s${t.events}_${t.accountData}_${t.receipts}_${t.typing}_${t.presence}_${t.toDevice}_${t.deviceLists}`;
}

/** Parses a sync token or returns undefined. */
export function tryParseSyncToken(text: string): SyncToken | undefined {
  const m = SYNC_RE.exec(text);
  if (!m) return undefined;
  const rest = m[2] ? m[2].slice(1).split("_").map(Number) : [];
  const events = Number(m[1]);
  const [accountData = 0, receipts = 0, typing = 0, presence = 0, toDevice = 0, deviceLists = 0] = rest;
  if (![events, accountData, receipts, typing, presence, toDevice, deviceLists].every(safe)) return undefined;
  return { events, accountData, receipts, typing, presence, toDevice, deviceLists };
}

/** Parses the `since` of `/sync`: 400 `M_INVALID_PARAM` when it is not one of our tokens. */
export function parseSyncToken(text: string, name = "since"): SyncToken {
  const t = tryParseSyncToken(text);
  if (!t) throw new MatrixError("M_INVALID_PARAM", `Invalid '${name}' token`);
  return t;
}

/** Formats a topological token. */
export function formatTopoToken(t: TopoToken): string {
  return `t${t.depth}_${t.stream}`;
}

/** The token of the gap just before an event at (depth, stream). */
export function tokenBefore(ev: { readonly depth: number; readonly stream: number }): TopoToken {
  return ev.stream > 0
    ? { depth: ev.depth, stream: ev.stream - 1 }
    : { depth: Math.max(0, ev.depth - 1), stream: Number.MAX_SAFE_INTEGER };
}

/** The token of the gap just after an event. */
export function tokenAfter(ev: { readonly depth: number; readonly stream: number }): TopoToken {
  return { depth: ev.depth, stream: ev.stream };
}

/** Parses a pagination token (topological or sync): 400 `M_INVALID_PARAM` otherwise. */
export function parsePaginationToken(text: string, name: string): PaginationToken {
  const m = TOPO_RE.exec(text);
  if (m) {
    const depth = Number(m[1]);
    const stream = Number(m[2]);
    if (safe(depth) && safe(stream)) return { kind: "topo", depth, stream };
  }
  const s = tryParseSyncToken(text);
  if (s) return { kind: "sync", ...s };
  throw new MatrixError("M_INVALID_PARAM", `Invalid '${name}' token`);
}

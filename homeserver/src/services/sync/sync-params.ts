/**
 * The parameters of a sync as a client gives them, read once for both ways of syncing: `GET /sync`'s
 * query string and the WebSocket stream's `auth` frame (`specs/websocket-sync.md`). Both resolve them
 * here, so the same `since`, `filter` and `set_presence` mean the same thing on either.
 */
import { MatrixError } from "@hearth/federation";
import type { Filter } from "./filter.js";
import type { FilterService } from "./filter-service.js";
import { parseSyncToken, type SyncToken } from "./tokens.js";

/** A presence state a sync may set (`set_presence`). */
export type SyncPresence = "online" | "unavailable" | "offline";

const PRESENCE: ReadonlySet<string> = new Set<SyncPresence>(["offline", "online", "unavailable"]);

/** The sync parameters as given, before validation. */
export interface SyncParamsInput {
  /** `since`; empty means absent. */
  readonly since?: string | undefined;
  /** A filter ID, inline JSON text (starting with `{`), or (on the stream) an inline JSON object. */
  readonly filter?: string | Record<string, unknown> | undefined;
  readonly fullState?: boolean | undefined;
  readonly useStateAfter?: boolean | undefined;
  /** `set_presence`: `online` when absent. */
  readonly setPresence?: string | undefined;
}

/** Validated sync parameters. */
export interface SyncParams {
  readonly since: SyncToken | undefined;
  readonly filter: Filter;
  readonly fullState: boolean;
  readonly useStateAfter: boolean;
  /** The presence the sync sets (a syncing client is online unless it says otherwise). */
  readonly presence: SyncPresence;
}

/**
 * Validates and resolves sync parameters for `userId`: `since` must be one of our tokens, a filter ID
 * must name a stored filter of the user, inline filters must be valid. Every problem is 400
 * `M_INVALID_PARAM`.
 */
export async function resolveSyncParams(
  userId: string,
  input: SyncParamsInput,
  filters: Pick<FilterService, "resolve">,
): Promise<SyncParams> {
  const since = input.since !== undefined && input.since !== "" ? parseSyncToken(input.since) : undefined;
  const presence = input.setPresence ?? "online";
  if (!PRESENCE.has(presence)) {
    throw new MatrixError("M_INVALID_PARAM", "'set_presence' must be offline, online or unavailable");
  }
  const filter = await filters.resolve(userId, input.filter);
  return {
    since,
    filter,
    fullState: input.fullState ?? false,
    useStateAfter: input.useStateAfter ?? false,
    presence: presence as SyncPresence,
  };
}

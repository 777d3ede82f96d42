// GET /_matrix/client/v3/sync ("Syncing")
import { clientApi } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import { resolveSyncParams, type SyncPresence } from "../../../services/sync/sync-params.js";
import { MAX_SYNC_TIMEOUT_MS, type SyncService } from "../../../services/sync/sync-service.js";

/** `GET /sync`: `since`, `timeout`, `filter` (ID or inline JSON), `full_state`, `set_presence`, `use_state_after`. */
export function getSync(
  sync: SyncService,
  filters: FilterService,
  setPresence?: (userId: string, state: SyncPresence) => Promise<void>,
): Route {
  return {
    ...fromEndpoint(clientApi.sync),
    guest: true,
    async handler(req) {
      const user = req.user();
      const q = (name: string) => req.c.req.query(name);
      // Larger timeouts are accepted and capped by the service.
      const timeoutMs = queryInteger(q("timeout"), "timeout", 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const params = await resolveSyncParams(
        user.userId,
        {
          since: q("since"),
          filter: q("filter"),
          fullState: queryBoolean(q("full_state"), "full_state"),
          useStateAfter: queryBoolean(q("use_state_after"), "use_state_after"),
          setPresence: q("set_presence"),
        },
        filters,
      );
      // A syncing client is online unless it says otherwise ("Presence", `set_presence`).
      await setPresence?.(user.userId, params.presence);
      const response = await sync.sync({
        userId: user.userId,
        deviceId: user.deviceId,
        ...(params.since ? { since: params.since } : {}),
        filter: params.filter,
        fullState: params.fullState,
        timeoutMs: Math.min(timeoutMs, MAX_SYNC_TIMEOUT_MS),
        useStateAfter: params.useStateAfter,
        signal: req.c.req.raw.signal,
      });
      return ok(response);
    },
  };
}

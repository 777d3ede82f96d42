// GET /_matrix/client/v3/sync ("Syncing")
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import { MAX_SYNC_TIMEOUT_MS, type SyncService } from "../../../services/sync/sync-service.js";
import { parseSyncToken } from "../../../services/sync/tokens.js";

const PRESENCE = new Set(["offline", "online", "unavailable"]);

/** `GET /sync`: `since`, `timeout`, `filter` (ID or inline JSON), `full_state`, `set_presence`, `use_state_after`. */
export function getSync(
  sync: SyncService,
  filters: FilterService,
  setPresence?: (userId: string, state: "online" | "unavailable" | "offline") => Promise<void>,
): Route {
  return {
    ...fromEndpoint(clientApi.sync),
    async handler(req) {
      const user = req.user();
      const q = (name: string) => req.c.req.query(name);
      const sinceText = q("since");
      const since = sinceText !== undefined && sinceText !== "" ? parseSyncToken(sinceText) : undefined;
      // Larger timeouts are accepted and capped by the service.
      const timeoutMs = queryInteger(q("timeout"), "timeout", 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const fullState = queryBoolean(q("full_state"), "full_state") ?? false;
      const useStateAfter = queryBoolean(q("use_state_after"), "use_state_after") ?? false;
      const presence = q("set_presence");
      if (presence !== undefined && !PRESENCE.has(presence)) {
        throw new MatrixError("M_INVALID_PARAM", "'set_presence' must be offline, online or unavailable");
      }
      // A syncing client is online unless it says otherwise ("Presence", `set_presence`).
      await setPresence?.(user.userId, (presence ?? "online") as "online" | "unavailable" | "offline");
      const filter = await filters.resolve(user.userId, q("filter"));
      const response = await sync.sync({
        userId: user.userId,
        deviceId: user.deviceId,
        ...(since ? { since } : {}),
        filter,
        fullState,
        timeoutMs: Math.min(timeoutMs, MAX_SYNC_TIMEOUT_MS),
        useStateAfter,
        signal: req.c.req.raw.signal,
      });
      return ok(response);
    },
  };
}

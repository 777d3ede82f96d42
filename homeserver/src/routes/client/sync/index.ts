/** The sync route ("Syncing"). */
import type { Route } from "../../../http/route.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import type { SyncPresence } from "../../../services/sync/sync-params.js";
import type { SyncService } from "../../../services/sync/sync-service.js";
import { getSync } from "./get-sync.js";

/** Every sync route. */
export function syncRoutes(
  sync: SyncService,
  filters: FilterService,
  setPresence?: (userId: string, state: SyncPresence) => Promise<void>,
): Route[] {
  return [getSync(sync, filters, setPresence)];
}

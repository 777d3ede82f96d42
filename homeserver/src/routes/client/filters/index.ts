/** The filter routes ("Filtering"). */
import type { Route } from "../../../http/route.js";
import type { FilterService } from "../../../services/sync/filter-service.js";
import { getFilter } from "./get-filter.js";
import { postFilter } from "./post-filter.js";

/** Every filter route. */
export function filterRoutes(filters: FilterService): Route[] {
  return [postFilter(filters), getFilter(filters)];
}

/** Query parsing shared by the room read routes. */
import { MatrixError } from "@hearth/federation";
import { parseQueryJson, parseRoomEventFilter, type RoomEventFilter } from "../../../services/sync/filter.js";

/** The required `dir` query parameter (`b` or `f`). */
export function dirParam(value: string | undefined): "b" | "f" {
  if (value === undefined || value === "") throw new MatrixError("M_MISSING_PARAM", "Missing 'dir'");
  if (value !== "b" && value !== "f") throw new MatrixError("M_INVALID_PARAM", "'dir' must be 'b' or 'f'");
  return value;
}

/** The optional `filter` query parameter: a JSON `RoomEventFilter`. */
export function roomEventFilterParam(value: string | undefined): RoomEventFilter | undefined {
  if (value === undefined || value === "") return undefined;
  return parseRoomEventFilter(parseQueryJson(value, "filter"), "query");
}

/** An optional token query parameter (empty counts as absent). */
export function tokenParam(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

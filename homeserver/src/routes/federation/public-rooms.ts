// GET /_matrix/federation/v1/publicRooms and POST /_matrix/federation/v1/publicRooms (Server-Server API, "Published Room Directory")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { FederationServingDeps } from "./deps.js";

const EMPTY = { chunk: [], total_room_count_estimate: 0 };

function limitOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new MatrixError("M_INVALID_PARAM", "limit must be a non-negative integer");
  }
  // "Defaults to 0 (no limit)."
  return value === 0 ? undefined : value;
}

/**
 * Our published rooms. We bridge no third-party networks, so a request for a
 * `third_party_instance_id` (without `include_all_networks`) gets an empty list.
 */
export function publicRoomsRoutes(deps: Pick<FederationServingDeps, "publicRooms">): FederationRoute[] {
  return [
    {
      method: "GET",
      paths: [federationPath("/publicRooms")],
      auth: "x-matrix",
      async handler(req) {
        const rawLimit = req.query("limit");
        if (rawLimit !== undefined && !/^\d+$/.test(rawLimit)) {
          throw new MatrixError("M_INVALID_PARAM", "limit must be a non-negative integer");
        }
        const limit = limitOf(rawLimit === undefined ? undefined : Number(rawLimit));
        const since = req.query("since");
        if (
          req.query("third_party_instance_id") !== undefined &&
          req.query("include_all_networks") !== "true"
        ) {
          return ok(EMPTY);
        }
        return ok(
          await deps.publicRooms({
            ...(limit !== undefined ? { limit } : {}),
            ...(since ? { since } : {}),
          }),
        );
      },
    },
    {
      method: "POST",
      paths: [federationPath("/publicRooms")],
      auth: "x-matrix",
      async handler(req) {
        const body = await req.json();
        const limit = limitOf(body.limit);
        const since = body.since;
        if (since !== undefined && typeof since !== "string") {
          throw new MatrixError("M_BAD_JSON", "since must be a string");
        }
        const filter = body.filter;
        if (
          filter !== undefined &&
          filter !== null &&
          (typeof filter !== "object" || Array.isArray(filter))
        ) {
          throw new MatrixError("M_BAD_JSON", "filter must be an object");
        }
        const term = (filter as { generic_search_term?: unknown } | null | undefined)?.generic_search_term;
        if (term !== undefined && term !== null && typeof term !== "string") {
          throw new MatrixError("M_BAD_JSON", "generic_search_term must be a string");
        }
        if (typeof body.third_party_instance_id === "string" && body.include_all_networks !== true) {
          return ok(EMPTY);
        }
        return ok(
          await deps.publicRooms({
            ...(limit !== undefined ? { limit } : {}),
            ...(since ? { since } : {}),
            ...(typeof term === "string" && term !== "" ? { search: term } : {}),
          }),
        );
      },
    },
  ];
}

/**
 * Stored filters (Client-Server API, "Filtering", `POST /user/{userId}/filter` and
 * `GET /user/{userId}/filter/{filterId}`), and resolving the `filter` parameter of `/sync`, which is
 * either a filter ID or inline JSON (it is JSON when it starts with `{`).
 */
import { createHash } from "node:crypto";
import { canonicalJson, MatrixError } from "@hearth/federation";
import type { FilterStore } from "../../storage/filters.js";
import { type Filter, parseFilter, parseQueryJson } from "./filter.js";

/** Creates and reads users' filters. */
export class FilterService {
  constructor(private readonly store: FilterStore) {}

  /**
   * Validates and stores a filter; returns its ID. The ID is derived from the filter's canonical
   * JSON, so the same filter uploaded again gets the same ID (it never starts with `{`).
   */
  async create(userId: string, body: Record<string, unknown>): Promise<string> {
    parseFilter(body, "body");
    let text: string;
    try {
      text = canonicalJson(body);
    } catch {
      throw new MatrixError("M_BAD_JSON", "The filter is not valid Matrix JSON");
    }
    const filterId = createHash("sha256").update(text).digest("base64url").slice(0, 22);
    if ((await this.store.get(userId, filterId)) === undefined) await this.store.put(userId, filterId, body);
    return filterId;
  }

  /** A stored filter as uploaded, or 404 `M_NOT_FOUND`. */
  async get(userId: string, filterId: string): Promise<Record<string, unknown>> {
    const filter = await this.store.get(userId, filterId);
    if (!filter) throw new MatrixError("M_NOT_FOUND", "No such filter");
    return filter;
  }

  /**
   * The filter a sync is asked to use: inline JSON when the parameter starts with `{`, else a stored
   * filter's ID; the WebSocket stream's `auth` frame may also give the inline filter as a JSON object.
   * An unknown ID or bad JSON is 400 `M_INVALID_PARAM`.
   */
  async resolve(userId: string, param: string | Record<string, unknown> | undefined): Promise<Filter> {
    if (param === undefined || param === "") return {};
    if (typeof param !== "string") return parseFilter(param, "query");
    if (param.startsWith("{")) return parseFilter(parseQueryJson(param, "filter"), "query");
    const stored = await this.store.get(userId, param);
    if (!stored) throw new MatrixError("M_INVALID_PARAM", "No such filter");
    return parseFilter(stored, "query");
  }
}

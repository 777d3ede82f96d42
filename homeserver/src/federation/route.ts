/**
 * Federation route descriptors, like the client ones (`http/route.ts`): each endpoint file under
 * `routes/federation/` exports one {@link FederationRoute} with its method, paths, authentication
 * (`X-Matrix` or none) and a thin handler. {@link createFederationApp} turns them into the federation
 * listener's HTTP application.
 */
import type { Context } from "hono";
import type { Method, RouteResponse } from "../http/route.js";

export type { Method, RouteResponse };

/** What a federation handler gets. */
export interface FederationRequestContext {
  /** The Hono context (headers, raw request). */
  readonly c: Context;
  /**
   * The authenticated origin server name (from a verified `X-Matrix` header). Throws
   * `M_UNAUTHORIZED` on routes with `auth: "none"`, where no origin was authenticated.
   */
  readonly origin: string;
  /** The HTTP method. */
  readonly method: string;
  /** The request target exactly as received: path and query string, undecoded. */
  readonly rawTarget: string;
  /** Path parameter, URI-decoded. Throws `M_INVALID_PARAM` when absent. */
  param(name: string): string;
  /** The first value of a query parameter, decoded; undefined when absent. */
  query(name: string): string | undefined;
  /** Every value of a repeated query parameter (`?v=a&v=b`), decoded. */
  queries(name: string): string[];
  /**
   * The request body as a JSON object; `{}` for an empty body. Throws `M_NOT_JSON`, `M_BAD_JSON`
   * (not an object) or `M_TOO_LARGE`.
   */
  json(): Promise<Record<string, unknown>>;
}

/** One federation endpoint. */
export interface FederationRoute {
  readonly method: Method;
  /** Hono path patterns (`:param`), e.g. `/_matrix/federation/v1/state/:roomId`. */
  readonly paths: readonly string[];
  /** `x-matrix`: the request must carry a valid `X-Matrix` signature; `none`: public (keys, version). */
  readonly auth: "x-matrix" | "none";
  /**
   * The path parameter naming the room this endpoint is about. When set, the app refuses origins
   * that the room's `m.room.server_acl` denies (403 `M_FORBIDDEN`, "Server Access Control Lists")
   * before the handler runs.
   */
  readonly roomParam?: string;
  handler(req: FederationRequestContext): Promise<RouteResponse> | RouteResponse;
}

/** `/_matrix/federation/v1` + path. */
export function federationPath(path: string, version: "v1" | "v2" = "v1"): string {
  return `/_matrix/federation/${version}${path}`;
}

/** A JSON 200 response. */
export function ok(body: unknown = {}): RouteResponse {
  return { body };
}

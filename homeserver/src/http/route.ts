/**
 * Route descriptors. Each endpoint file exports one {@link Route}: its method, paths (v3 plus the r0
 * alias where the endpoint existed in r0), whether it needs an access token, and a thin handler that
 * parses the request, calls one service and shapes the response.
 */
import { type Endpoint, routerPatterns } from "@hearth/federation";
import type { Context } from "hono";
import type { RateLimitName } from "./rate-limit.js";

/** The authenticated requester. */
export interface Requester {
  readonly userId: string;
  readonly deviceId: string;
  /** The ID of the access token used (to log out this session). */
  readonly tokenId: string;
  readonly isGuest: boolean;
}

/** What a handler gets. */
export interface RequestContext {
  /** The Hono context (params, query, headers). */
  readonly c: Context;
  /** The requester, for routes with `auth: "required"` (and "optional" when a token was given). */
  readonly requester: Requester | undefined;
  /** Path parameter, URI-decoded. Throws M_INVALID_PARAM when absent. */
  param(name: string): string;
  /** The request body as a JSON object; `{}` for an empty body. Throws M_NOT_JSON / M_BAD_JSON / M_TOO_LARGE. */
  json(): Promise<Record<string, unknown>>;
  /** The requester, or M_MISSING_TOKEN. */
  user(): Requester;
  /** The raw request body (media uploads), at most `maxBytes`; else 413 `M_TOO_LARGE`. */
  bytes(maxBytes: number): Promise<Uint8Array>;
}

/** A response: JSON body and status (200 by default), or raw bytes (`raw`, for media). */
export interface RouteResponse {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** Sent instead of `body` as JSON: bytes with their `Content-Type` (and `headers`). */
  readonly raw?: { readonly bytes: Uint8Array; readonly contentType: string };
}

/** An HTTP method we route. */
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** One endpoint. */
export interface Route {
  /** The descriptor it implements, when it is declared in `@hearth/federation`'s `clientApi`. */
  readonly endpoint?: Endpoint;
  readonly method: Method;
  /** Hono path patterns (`:param`); several for aliases (r0, trailing empty state key). */
  readonly paths: readonly string[];
  readonly auth: "required" | "optional" | "none";
  /**
   * Whether guest accounts may call it (Client-Server API, "Guest Access", "Client behaviour"):
   * `true`, or a test of the request for endpoints guests may use only in part (one profile field,
   * `/events` with a `room_id`). Absent: a guest's request is refused with 403
   * `M_GUEST_ACCESS_FORBIDDEN` before the handler runs. The list: `specs/guest-access.md`.
   */
  readonly guest?: true | ((req: RequestContext) => boolean);
  /** A rate limit applied per requester (or per IP when unauthenticated). */
  readonly rateLimit?: RateLimitName;
  handler(req: RequestContext): Promise<RouteResponse> | RouteResponse;
}

/** `/_matrix/client/v3` + path, and the r0 alias. */
export function clientPaths(path: string, options: { r0?: boolean } = { r0: true }): string[] {
  const out = [`/_matrix/client/v3${path}`];
  if (options.r0 !== false) out.push(`/_matrix/client/r0${path}`);
  return out;
}

/** A JSON 200 response. */
export function ok(body: unknown = {}): RouteResponse {
  return { body };
}

/**
 * The method, paths and authentication of a declared endpoint (`clientApi` in `@hearth/federation`),
 * plus `extraPaths` the server also answers at (variants the descriptor's path cannot express, such
 * as a state event path without its empty state key).
 */
export function fromEndpoint(
  endpoint: Endpoint,
  extraPaths: readonly string[] = [],
): Pick<Route, "endpoint" | "method" | "paths" | "auth"> {
  return {
    endpoint,
    method: endpoint.method,
    paths: [...routerPatterns(endpoint), ...extraPaths],
    auth: endpoint.auth,
  };
}

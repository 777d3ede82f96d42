/**
 * Endpoint descriptors: each HTTP endpoint declared once — method, path (with its older aliases),
 * authentication, and the types of its path parameters, query, request body and response — for the
 * server's routes, the client SDK and the OpenAPI document to read alike. Pure data and types; no
 * I/O, so the SDK can import it in browsers.
 */

/** An HTTP method endpoints use. */
export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** Whether an endpoint takes an access token. */
export type EndpointAuth = "required" | "optional" | "none";

/**
 * One endpoint. The type parameters are its path parameters (a union of names), query, request body
 * and response body; they exist only for the compiler (`__types` is never set).
 */
export interface Endpoint<P extends string = string, Q = unknown, B = unknown, R = unknown> {
  /** A stable name (the OpenAPI operation ID), e.g. `sendMessage`. */
  readonly name: string;
  readonly method: HttpMethod;
  /** The current path with `{param}` placeholders, e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  readonly path: string;
  /** Older paths served too (r0, media v3 for v1), same placeholders. */
  readonly aliases?: readonly string[];
  readonly auth: EndpointAuth;
  /** One line for the API documentation. */
  readonly summary: string;
  /** The spec section it comes from. */
  readonly section?: string;
  /** Whether the server rate-limits it (and so the SDK retries `M_LIMIT_EXCEEDED` after `retry_after_ms`). */
  readonly rateLimited?: boolean;
  /** Phantom: the types, for the compiler only. */
  readonly __types?: { readonly params: P; readonly query: Q; readonly body: B; readonly response: R };
}

/** Declares an endpoint (types given as type arguments). */
export function endpoint<P extends string = never, Q = undefined, B = undefined, R = unknown>(
  e: Omit<Endpoint<P, Q, B, R>, "__types">,
): Endpoint<P, Q, B, R> {
  return e;
}

/** The names of a path's `{param}` placeholders, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

/** The path with its parameters filled in, each percent-encoded as one segment. */
export function fillPath(path: string, params: Readonly<Record<string, string>>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** The path in the router's `:param` syntax (Hono, Express). */
export function routerPattern(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

/** Every path the endpoint is served at, in the router's syntax: the current one first. */
export function routerPatterns(e: Endpoint): string[] {
  return [e.path, ...(e.aliases ?? [])].map(routerPattern);
}

/** Types of an endpoint, for code generic over endpoints. */
export type ParamsOf<E> = E extends Endpoint<infer P, unknown, unknown, unknown> ? Record<P, string> : never;
export type QueryOf<E> = E extends Endpoint<string, infer Q, unknown, unknown> ? Q : never;
export type BodyOf<E> = E extends Endpoint<string, unknown, infer B, unknown> ? B : never;
export type ResponseOf<E> = E extends Endpoint<string, unknown, unknown, infer R> ? R : never;

/**
 * The federation HTTP application: routes from {@link FederationRoute} descriptors, `X-Matrix`
 * request authentication over the request exactly as received (server-server API, "Request
 * Authentication"), server ACLs on room-scoped routes, JSON bodies with a size limit, and the one
 * place where errors become Matrix error responses. Unknown endpoints answer 404 `M_UNRECOGNIZED`, a
 * known path with the wrong method 405 `M_UNRECOGNIZED` ("Unsupported endpoints").
 */
import {
  type AsyncVerifyKeyLookup,
  MAX_FEDERATION_JSON_DEPTH,
  MatrixError,
  parseJsonObject,
  RequestAuthenticationError,
  verifyRequest,
} from "@hearth/federation";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import { pathPatternRegex } from "../http/body.js";
import { installFallbacks } from "../http/fallbacks.js";
import type { RouteResponse } from "../http/route.js";
import type { FederationRequestContext, FederationRoute } from "./route.js";

/** The largest federation request body accepted by default (a transaction of 50 PDUs and 100 EDUs). */
export const FEDERATION_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** What the federation app needs. */
export interface FederationAppDeps {
  readonly routes: readonly FederationRoute[];
  /** Our server name: the destination every request must name. */
  readonly serverName: string;
  /** Looks up a remote server's verify key for request verification, fetching it when needed. */
  readonly keys: { lookup: AsyncVerifyKeyLookup; lookupForRequest?: AsyncVerifyKeyLookup };
  /**
   * Whether `origin` may access `roomId` under the room's server ACL. Routes with a `roomParam` are
   * refused with 403 `M_FORBIDDEN` when this answers false.
   */
  readonly serverAllowed?: (origin: string, roomId: string) => Promise<boolean> | boolean;
  readonly logger: Logger;
  /** Largest request body in bytes (default {@link FEDERATION_MAX_BODY_BYTES}). */
  readonly maxRequestBytes?: number;
  /** The clock (ms since epoch), for key validity; defaults to `Date.now`. */
  readonly now?: () => number;
}

function errorResponse(c: Context, err: MatrixError): Response {
  return c.json(err.toJSON(), err.status as 400);
}

/**
 * The request target as the sender wrote it. On the Node server that is the raw `incoming.url` (the
 * `X-Matrix` signature covers it byte for byte, so it must not be re-encoded or normalised); in
 * `app.request()` tests, the URL's path and query.
 */
export function rawRequestTarget(c: Context): string {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  if (typeof incoming?.url === "string" && incoming.url.startsWith("/")) return incoming.url;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) throw new MatrixError("M_TOO_LARGE", "Request body too large");
  const buf = new Uint8Array(await c.req.arrayBuffer());
  if (buf.byteLength > maxBytes) throw new MatrixError("M_TOO_LARGE", "Request body too large");
  return buf;
}

function decodeQueryPart(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new MatrixError("M_INVALID_PARAM", "Malformed query string");
  }
}

/** The query parameters of a raw target, decoded, in order. */
function parseQuery(target: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const q = target.indexOf("?");
  if (q === -1) return out;
  for (const part of target.slice(q + 1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeQueryPart(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeQueryPart(part.slice(eq + 1));
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** Builds the federation Hono app from route descriptors. */
export function createFederationApp(deps: FederationAppDeps): Hono {
  const app = new Hono();
  const patterns: RegExp[] = [];
  const maxBytes = deps.maxRequestBytes ?? FEDERATION_MAX_BODY_BYTES;
  const now = deps.now ?? Date.now;

  for (const route of deps.routes) {
    for (const path of route.paths) {
      patterns.push(pathPatternRegex(path));
      app.on(route.method, path, async (c) => {
        const rawTarget = rawRequestTarget(c);
        let body: Promise<Record<string, unknown> | undefined> | undefined;
        const readJson = () => {
          // Lone surrogates pass here: the parts of a transaction are checked one by one.
          body ??= readBody(c, maxBytes).then((bytes) =>
            parseJsonObject(bytes, { maxDepth: MAX_FEDERATION_JSON_DEPTH, loneSurrogates: "allow" }),
          );
          return body;
        };
        let origin: string | undefined;
        if (route.auth === "x-matrix") {
          const authorization = c.req.raw.headers.get("authorization");
          if (authorization === null) {
            throw new RequestAuthenticationError("missing", "Missing X-Matrix Authorization header");
          }
          // Headers joins repeated Authorization headers with ", "; X-Matrix parameters hold no
          // ", X-Matrix", so split there to verify each.
          const headers = authorization.split(/,\s*(?=x-matrix\s)/i);
          const content = await readJson();
          try {
            ({ origin } = await verifyRequest(
              {
                method: c.req.method,
                uri: rawTarget,
                destination: deps.serverName,
                ...(content === undefined ? {} : { content }),
                authorization: headers,
                now: now(),
              },
              deps.keys.lookupForRequest ?? deps.keys.lookup,
            ));
          } catch (err) {
            if (err instanceof MatrixError) throw err;
            // e.g. a body that cannot be canonical JSON: its signature cannot be checked.
            throw new RequestAuthenticationError("bad-signature", "The request signature cannot be checked");
          }
        }
        if (route.roomParam !== undefined && origin !== undefined && deps.serverAllowed) {
          const roomId = c.req.param(route.roomParam);
          if (roomId !== undefined && !(await deps.serverAllowed(origin, roomId))) {
            throw new MatrixError("M_FORBIDDEN", "Server is banned from this room by its server ACL");
          }
        }
        let query: Map<string, string[]> | undefined;
        const ctx: FederationRequestContext = {
          c,
          get origin(): string {
            if (origin === undefined) throw new MatrixError("M_UNAUTHORIZED", "Request is not authenticated");
            return origin;
          },
          method: c.req.method,
          rawTarget,
          param(name) {
            const v = c.req.param(name);
            if (v === undefined) throw new MatrixError("M_INVALID_PARAM", `Missing path parameter ${name}`);
            return v;
          },
          query(name) {
            query ??= parseQuery(rawTarget);
            return query.get(name)?.[0];
          },
          queries(name) {
            query ??= parseQuery(rawTarget);
            return query.get(name) ?? [];
          },
          async json() {
            return (await readJson()) ?? {};
          },
        };
        const res: RouteResponse = await route.handler(ctx);
        if (res.raw) {
          return c.body(res.raw.bytes as Uint8Array<ArrayBuffer>, (res.status ?? 200) as 200, {
            "Content-Type": res.raw.contentType,
            ...res.headers,
          });
        }
        return c.json(res.body as object, (res.status ?? 200) as 200, res.headers);
      });
    }
  }

  installFallbacks(app, {
    patterns,
    respond: errorResponse,
    pathOf: (c) => new URL(c.req.url).pathname,
    logger: deps.logger,
    unhandledMessage: "unhandled federation error",
  });

  return app;
}

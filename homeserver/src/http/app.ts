/**
 * The HTTP application: routes from descriptors, access-token authentication, rate limits, CORS, JSON
 * bodies, and the one place where errors become Matrix error responses (`errcode`, `error`, status from
 * the errcode table). Unknown endpoints answer 404 `M_UNRECOGNIZED`; a known path with the wrong
 * method answers 405 `M_UNRECOGNIZED` (Client-Server API, "API Standards").
 */
import { MAX_CLIENT_JSON_DEPTH, MatrixError, parseJsonObject } from "@hearth/federation";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import { isApiPath } from "../web/web-client.js";
import { pathPatternRegex } from "./body.js";
import { installFallbacks } from "./fallbacks.js";
import type { RateLimiter } from "./rate-limit.js";
import type { RequestContext, Requester, Route } from "./route.js";

/** Serves the web client's files (GET of non-API paths). */
export interface WebClientHandler {
  handle(c: Context): Promise<Response>;
}

/** Resolves an access token to its requester; throws `M_UNKNOWN_TOKEN` when it is not valid. */
export interface TokenAuthenticator {
  authenticate(accessToken: string): Promise<Requester>;
}

/** What the app needs. */
export interface AppDeps {
  readonly routes: readonly Route[];
  readonly auth: TokenAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly logger: Logger;
  readonly maxRequestBytes: number;
  /** The web client, served for GET of every path outside the APIs and the routes (`web_client`). */
  readonly webClient?: WebClientHandler;
}

const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization",
};

function errorResponse(c: Context, err: MatrixError): Response {
  return c.json(err.toJSON(), err.status as 400, CORS_HEADERS);
}

/** The access token from `Authorization: Bearer` or the deprecated `access_token` query parameter. */
function accessToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new MatrixError("M_MISSING_TOKEN", "Malformed Authorization header");
    return m[1];
  }
  return c.req.query("access_token") ?? undefined;
}

async function readBytes(c: Context, maxBytes: number): Promise<ArrayBuffer> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) throw new MatrixError("M_TOO_LARGE", "Request body too large");
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > maxBytes) throw new MatrixError("M_TOO_LARGE", "Request body too large");
  return buf;
}

async function readJson(c: Context, maxBytes: number): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBytes(c, maxBytes), { maxDepth: MAX_CLIENT_JSON_DEPTH }) ?? {};
}

/** Builds the Hono app from route descriptors. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const patterns: RegExp[] = [];

  app.options("*", (c) => c.body(null, 204, CORS_HEADERS));

  for (const route of deps.routes) {
    for (const path of route.paths) {
      patterns.push(pathPatternRegex(path));
      app.on(route.method, path, async (c) => {
        let requester: Requester | undefined;
        let parsedBody: Promise<Record<string, unknown>> | undefined;
        if (route.auth !== "none") {
          const token = accessToken(c);
          if (token !== undefined) requester = await deps.auth.authenticate(token);
          else if (route.auth === "required")
            throw new MatrixError("M_MISSING_TOKEN", "Missing access token");
        }
        const ctx: RequestContext = {
          c,
          requester,
          param(name) {
            const v = c.req.param(name);
            if (v === undefined) throw new MatrixError("M_INVALID_PARAM", `Missing path parameter ${name}`);
            return v;
          },
          json() {
            parsedBody ??= readJson(c, deps.maxRequestBytes);
            return parsedBody;
          },
          user() {
            if (!requester) throw new MatrixError("M_MISSING_TOKEN", "Missing access token");
            return requester;
          },
          async bytes(maxBytes) {
            return new Uint8Array(await readBytes(c, maxBytes));
          },
        };
        if (requester?.isGuest && !guestMay(route, ctx)) {
          throw new MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest accounts may not use this endpoint");
        }
        if (route.rateLimit) {
          // The peer address, not X-Forwarded-For: any client could set that header to dodge limits.
          const who = requester?.userId ?? remoteAddress(c);
          deps.rateLimiter.take(route.rateLimit, who);
        }
        const res = await route.handler(ctx);
        if (res.raw) {
          return c.body(res.raw.bytes as Uint8Array<ArrayBuffer>, (res.status ?? 200) as 200, {
            ...CORS_HEADERS,
            "Content-Type": res.raw.contentType,
            ...res.headers,
          });
        }
        return c.json(res.body as object, (res.status ?? 200) as 200, { ...CORS_HEADERS, ...res.headers });
      });
    }
  }

  const web = deps.webClient;
  if (web) {
    // After every route: API paths, and paths a route serves with another method, still fall through
    // to the not-found handler (404 or 405 M_UNRECOGNIZED).
    app.get("*", async (c, next) => {
      const path = c.req.path;
      if (isApiPath(path) || patterns.some((re) => re.test(path))) return next();
      return web.handle(c);
    });
  }

  installFallbacks(app, {
    patterns,
    respond: errorResponse,
    pathOf: (c) => c.req.path,
    logger: deps.logger,
    unhandledMessage: "unhandled error",
  });

  return app;
}

/** Whether a guest may make this request ({@link Route.guest}). */
function guestMay(route: Route, ctx: RequestContext): boolean {
  if (route.guest === undefined) return false;
  return route.guest === true || route.guest(ctx);
}

function remoteAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

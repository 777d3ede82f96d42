/**
 * The answers both listeners (client and federation) give outside their routes: `M_UNRECOGNIZED`
 * (405 when the path exists with another method, the spec's exception; 404 otherwise), and the one
 * place where an error becomes a response — a `MatrixError` as itself, a storage failure as 503, anything
 * else as a logged `M_UNKNOWN` 500 without details.
 */
import { MatrixError } from "@hearth/federation";
import type { Context, Hono } from "hono";
import type { Logger } from "pino";
import { isDiskError, StorageUnavailableError } from "../storage/db.js";

export interface FallbackOptions {
  /** The route path patterns the listener serves. */
  readonly patterns: readonly RegExp[];
  /** Turns a Matrix error into the listener's response. */
  readonly respond: (c: Context, err: MatrixError) => Response;
  /** The request path the patterns are tested against. */
  readonly pathOf: (c: Context) => string;
  readonly logger: Logger;
  /** The log message for an unexpected error. */
  readonly unhandledMessage: string;
}

/** Installs the not-found and error handlers of a listener. */
// biome-ignore lint/suspicious/noExplicitAny: both listeners' Hono apps, whatever their env types
export function installFallbacks(app: Hono<any>, options: FallbackOptions): void {
  const { patterns, respond, pathOf, logger, unhandledMessage } = options;
  app.notFound((c) => {
    const path = pathOf(c);
    if (patterns.some((re) => re.test(path))) {
      return respond(
        c,
        new MatrixError("M_UNRECOGNIZED", "Unrecognized request: method not allowed", {}, 405),
      );
    }
    return respond(c, new MatrixError("M_UNRECOGNIZED", "Unrecognized request"));
  });
  app.onError((err, c) => {
    if (err instanceof MatrixError) return respond(c, err);
    if (isDiskError(err)) {
      logger.warn({ err, path: c.req.path, method: c.req.method }, "storage unavailable");
      return respond(c, new StorageUnavailableError(err));
    }
    logger.error({ err, path: c.req.path, method: c.req.method }, unhandledMessage);
    return respond(c, new MatrixError("M_UNKNOWN", "Internal server error"));
  });
}

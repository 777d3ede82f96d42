/** The web client on the client listener (`web_client`). */
import type { Logger } from "pino";
import { WebClient } from "./web-client.js";

export {
  IMMUTABLE_CACHE,
  isApiPath,
  WEB_CLIENT_CSP,
  WebClient,
  type WebClientBuild,
  type WebClientOptions,
} from "./web-client.js";

/** Where the web client's files come from, and whether to build them. */
export interface WebClientSetup {
  /** The built files (default: `client-sdk/apps/web/dist` of this repository). */
  readonly distDir?: string;
  /** Build them in the background at start when missing or stale (`hearth start` does). */
  readonly build?: boolean;
}

/**
 * The repository's web client (`@hearth/web`): its `dist/`, built by its own script when `build` is
 * set. When the package is not installed (a warning says so), `/` answers that the client is not built.
 */
export async function repositoryWebClient(logger: Logger, setup: WebClientSetup = {}): Promise<WebClient> {
  let web: typeof import("@hearth/web/build") | undefined;
  try {
    web = await import("@hearth/web/build");
  } catch (err) {
    logger.warn(
      { err: (err as Error).message },
      "@hearth/web is not installed: the web client is unavailable",
    );
  }
  const distDir = setup.distDir ?? web?.DIST_DIR ?? "/nonexistent/hearth-web-client";
  return new WebClient({
    distDir,
    logger,
    ...(setup.build && web && !setup.distDir
      ? {
          build: (signal: AbortSignal) =>
            web.ensureBuilt({
              signal,
              lowPriority: true,
              log: (message) => logger.info(message),
            }),
        }
      : {}),
  });
}

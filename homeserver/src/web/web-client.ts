/**
 * The web client (`client-sdk/apps/web`, built by Vite into its `dist/`) on the client listener: every
 * GET outside the APIs (`/_matrix/…`, `/_synapse/…`, `/.well-known/…` and the server's own routes,
 * which keep answering as before) is a file of the build. `/` is `index.html`.
 *
 * Headers: `index.html` and other unhashed files `Cache-Control: no-cache` (revalidated by ETag, so a
 * new build shows on the next load); Vite's content-hashed `assets/` `public, max-age=31536000,
 * immutable`. Every answer carries a strict Content-Security-Policy (scripts and styles only from
 * this origin, nothing inline), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`
 * and `X-Frame-Options: DENY`.
 *
 * `connect-src` allows this origin (HTTP and its WebSocket sync stream) and any `https:`/`wss:`
 * origin: the sign-in page can point the client at another homeserver, and a CSP sent with the page
 * cannot know which. The trade-off: injected script could send data to any HTTPS host, which the
 * other directives (no inline or foreign script, an allow-list sanitizer for message HTML) are there to
 * prevent. Plain-HTTP homeservers other than this one are not reachable from the page.
 *
 * While a build runs (the server started with stale or missing files), the previous build is served;
 * with none yet, `/` answers 503 with a page that reloads itself every two seconds.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import type { Context } from "hono";
import type { Logger } from "pino";

/** The Content-Security-Policy of the web client's responses. */
export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self' https: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
  "form-action 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": WEB_CLIENT_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Hashed, never-changing files: Vite's output folder. */
const IMMUTABLE_DIR = "assets";
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

/** Builds the web client when stale; resolves once `dist/` is current. */
export type WebClientBuild = (signal: AbortSignal) => Promise<"fresh" | "built">;

/** What {@link WebClient} needs. */
export interface WebClientOptions {
  /** The built files (Vite's `dist/`). */
  readonly distDir: string;
  readonly logger: Logger;
  /** Brings `distDir` up to date in the background at {@link WebClient.start}; none: serve what is there. */
  readonly build?: WebClientBuild;
}

/** Whether `path` belongs to an API rather than to the web client. */
export function isApiPath(path: string): boolean {
  return path.startsWith("/_") || path.startsWith("/.well-known/") || path === "/.well-known";
}

function page(text: string, reload: boolean): string {
  // A meta refresh is not script: the CSP allows it.
  const refresh = reload ? '<meta http-equiv="refresh" content="2">' : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${refresh}<title>Hearth</title></head><body><p>${text}</p></body></html>`;
}

/** The web client's files, served from `distDir`. */
export class WebClient {
  readonly #distDir: string;
  readonly #logger: Logger;
  readonly #build: WebClientBuild | undefined;
  #building: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #buildError: string | undefined;

  constructor(options: WebClientOptions) {
    this.#distDir = resolve(options.distDir);
    this.#logger = options.logger;
    this.#build = options.build;
  }

  /** Whether a build is running. */
  get building(): boolean {
    return this.#building !== undefined;
  }

  /** Starts the background build, if there is one; never delays the server. */
  start(): void {
    if (!this.#build || this.#building) return;
    this.#abort = new AbortController();
    const started = Date.now();
    this.#building = this.#build(this.#abort.signal)
      .then(
        (result) => {
          this.#buildError = undefined;
          if (result === "built")
            this.#logger.info({ ms: Date.now() - started }, "web client built (client-sdk/apps/web/dist)");
        },
        (err: Error) => {
          if (this.#abort?.signal.aborted) return;
          this.#buildError = err.message;
          this.#logger.warn(
            { err: err.message },
            "the web client cannot be built: / serves the last build, if any",
          );
        },
      )
      .finally(() => {
        this.#building = undefined;
      });
  }

  /** Stops a running build. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#building;
  }

  /** Answers a GET for a non-API path. */
  async handle(c: Context): Promise<Response> {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return this.#notFound();
    }
    const segments = path.split("/").filter((s) => s !== "");
    // No dotfiles (the build stamp), no traversal, nothing a path could smuggle.
    if (segments.some((s) => s.startsWith(".") || s.includes("\\") || s.includes("\0")))
      return this.#notFound();
    if (segments.length === 0) segments.push("index.html");
    const file = join(this.#distDir, ...segments);
    if (!file.startsWith(this.#distDir + sep)) return this.#notFound();
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      if (segments.length === 1 && segments[0] === "index.html") return this.#unavailable();
      return this.#notFound();
    }
    const etag = `W/"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
    const immutable = segments.length > 1 && segments[0] === IMMUTABLE_DIR;
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Cache-Control": immutable ? IMMUTABLE_CACHE : "no-cache",
      ETag: etag,
    };
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch {
      // Replaced by a new build between the stat and the read.
      return this.#notFound();
    }
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }

  #notFound(): Response {
    return new Response("Not found\n", {
      status: 404,
      headers: {
        ...SECURITY_HEADERS,
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "no-cache",
      },
    });
  }

  #unavailable(): Response {
    const html = this.#building
      ? page("The web client is being built: this page reloads when it is ready.", true)
      : page(
          `The web client is not built${this.#buildError ? " (the build failed: see the server's log)" : ""}. ` +
            "Run <code>npm ci</code> (or <code>npm run build --workspace @hearth/web</code>) and reload; " +
            "the Matrix API works meanwhile.",
          false,
        );
    return new Response(html, {
      status: 503,
      headers: {
        ...SECURITY_HEADERS,
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Retry-After": "2",
      },
    });
  }
}

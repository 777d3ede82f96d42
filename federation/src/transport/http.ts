/**
 * The narrow HTTP interface the federation client sends through, and the `.well-known` fetch built on
 * it. WHATWG `fetch` cannot carry federation requests: it does not let the caller set `Host`, choose
 * the TLS server name, or connect to an address other than the URL's host. So the client hands a
 * transport the whole picture (URL, connect target, headers) and the homeserver supplies one, e.g.
 * {@link createNodeTransport}.
 */
import type { ResolvedServer, WellKnownResponse } from "./discovery.js";

/** Where and how to connect: the connection half of {@link ResolvedServer}. */
export type ConnectTarget = Pick<ResolvedServer, "host" | "port" | "tlsServerName" | "sni" | "hostHeader"> & {
  readonly addresses?: readonly string[];
};

/** One HTTP request for a transport to send. */
export interface FederationHttpRequest {
  /** The full URL (scheme, connect host and port, path and query), for logs and URL-based transports. */
  readonly url: string;
  readonly method: string;
  /** The request target: path and query string, exactly as signed. */
  readonly path: string;
  /** The headers to send, `Host` included. Names are lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Where to connect and which certificate name to expect. */
  readonly target: ConnectTarget;
  readonly signal?: AbortSignal;
}

/** A transport's answer. A WHATWG `Response` has this shape. */
export interface FederationHttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as bytes (binary answers: media); optional for transports that only do JSON. */
  bytes?(): Promise<Uint8Array>;
}

/**
 * Sends one request (no redirects followed). Rejects on connection, TLS or timeout errors; resolves
 * with any HTTP status.
 */
export type FederationFetch = (request: FederationHttpRequest) => Promise<FederationHttpResponse>;

/** Options of {@link createWellKnownFetcher}. */
export interface WellKnownFetcherOptions {
  /** `https` (default); `http` only for tests. */
  readonly scheme?: "https" | "http";
  /** The port when a URL names none; defaults to the scheme's port. */
  readonly defaultPort?: number;
  /** At most this many redirects are followed (default 5); loops are refused. */
  readonly maxRedirects?: number;
  /** The whole lookup times out after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Bodies longer than this are refused (default 64 KiB: a `.well-known` file is tiny). */
  readonly maxBytes?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether `host` (as in a URL, IPv6 in brackets) is an IP literal. */
function isIpUrlHost(host: string): boolean {
  return host.startsWith("[") || /^[0-9.]+$/.test(host);
}

/**
 * A `fetchWellKnown` for {@link resolveServer}: `GET <scheme>://<hostname>/.well-known/matrix/server`
 * through `fetch`, following 30x redirects ("redirection loops should be avoided"). Throws on
 * network errors, redirect loops, too many redirects and oversized bodies; other statuses are
 * returned for the resolver to judge.
 */
export function createWellKnownFetcher(
  fetch: FederationFetch,
  options: WellKnownFetcherOptions = {},
): (hostname: string) => Promise<WellKnownResponse> {
  const scheme = options.scheme ?? "https";
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (hostname) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("Timed out fetching .well-known")), timeoutMs);
    try {
      let url = new URL(`${scheme}://${hostname}/.well-known/matrix/server`);
      const seen = new Set<string>();
      for (let redirects = 0; ; redirects++) {
        seen.add(url.href);
        const host = url.hostname;
        const ip = isIpUrlHost(host);
        const bare = host.startsWith("[") ? host.slice(1, -1) : host;
        const port =
          url.port === "" ? (options.defaultPort ?? (url.protocol === "http:" ? 80 : 443)) : Number(url.port);
        const response = await fetch({
          url: url.href,
          method: "GET",
          path: url.pathname + url.search,
          headers: { host: url.host, accept: "application/json" },
          target: { host: bare, port, tlsServerName: bare, sni: !ip, hostHeader: url.host },
          signal: controller.signal,
        });
        const location = response.headers.get("location");
        if (REDIRECTS.has(response.status) && location !== null) {
          if (redirects >= maxRedirects) throw new Error("Too many .well-known redirects");
          const next = new URL(location, url);
          if (next.protocol !== `${scheme}:`)
            throw new Error(`Refusing .well-known redirect to ${next.protocol}`);
          if (seen.has(next.href)) throw new Error(".well-known redirect loop");
          url = next;
          continue;
        }
        const body = await response.text();
        if (body.length > maxBytes) throw new Error(".well-known response too large");
        return { status: response.status, body, cacheControl: response.headers.get("cache-control") };
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * The signed federation HTTP client: resolves the destination ("Resolving server names"), signs the
 * request ("Request Authentication"), sends JSON through an injected transport and turns remote
 * errors into {@link FederationRequestError}, never into our own `MatrixError`.
 */
import type { SigningKey } from "../crypto/index.js";
import type { ErrCode } from "../errors/index.js";
import type { KnownVerifyKey } from "../events/index.js";
import { MAX_FEDERATION_JSON_DEPTH, parseJson } from "../json/index.js";
import { type ResolvedServer, ServerDiscoveryError, type ServerResolver } from "./discovery.js";
import type { FederationFetch, FederationHttpResponse } from "./http.js";
import {
  type NotaryResult,
  type VerifiedServerKeys,
  verifyNotaryResponse,
  verifyServerKeys,
} from "./server-keys.js";
import { signRequest } from "./x-matrix.js";

/**
 * A remote server answered with a non-2xx status. Carries the remote's errcode, if it sent one, but
 * is not a `MatrixError`: whoever turns it into a response for a client decides what to say.
 */
export class FederationRequestError extends Error {
  override readonly name: string = "FederationRequestError";
  constructor(
    readonly destination: string,
    readonly method: string,
    readonly path: string,
    /** The HTTP status the remote answered with. */
    readonly status: number,
    /** The remote's `errcode`, when the body was a Matrix error. */
    readonly errcode: ErrCode | undefined,
    /** The remote's `error` text, when it sent one. Remote-controlled: do not show it as ours. */
    readonly remoteMessage: string | undefined,
    /** The parsed body, when it was JSON. */
    readonly body: unknown,
  ) {
    super(
      `${method} ${path} on ${destination} failed with ${status}${errcode === undefined ? "" : ` ${errcode}`}` +
        (remoteMessage === undefined ? "" : `: ${remoteMessage.slice(0, 200)}`),
    );
  }

  /** The remote's `retry_after_ms` for `M_LIMIT_EXCEEDED`, if it sent one. */
  get retryAfterMs(): number | undefined {
    const value = (this.body as { retry_after_ms?: unknown } | undefined)?.retry_after_ms;
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
}

/** Why a request got no usable answer. */
export type FederationTransportFailure =
  | "discovery"
  | "connection"
  | "timeout"
  | "invalid-response"
  | "too-large";

/** A request got no usable answer: discovery, connection or timeout failure, or a non-JSON body. */
export class FederationTransportError extends Error {
  override readonly name: string = "FederationTransportError";
  constructor(
    readonly destination: string,
    readonly reason: FederationTransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Query parameters; arrays repeat the parameter. */
export type QueryParams = Readonly<
  Record<string, string | number | boolean | readonly (string | number | boolean)[] | undefined>
>;

/** Options of one request. */
export interface FederationRequestOptions {
  readonly query?: QueryParams;
  /** The JSON body. `POST` and `PUT` send `{}` when none is given ("API standards"). */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout. */
  readonly timeoutMs?: number;
  /**
   * Reads a successful answer as bytes (`bytes`, `contentType`) instead of JSON (media); the
   * transport must offer `bytes()`. Error answers are still read as Matrix errors.
   */
  readonly binary?: boolean;
}

/** A successful answer. */
export interface FederationResponse<T> {
  readonly status: number;
  readonly json: T;
  /** With `binary`: the body and its `Content-Type` (and `Content-Disposition`). */
  readonly bytes?: Uint8Array;
  readonly contentType?: string;
  readonly contentDisposition?: string;
}

/** Options of {@link createFederationClient}. */
export interface FederationClientOptions {
  /** Our server name. */
  readonly origin: string;
  /** Our current signing key. */
  readonly key: SigningKey;
  /** The transport, e.g. {@link createNodeTransport}. */
  readonly fetch: FederationFetch;
  /** Server discovery, e.g. {@link createServerResolver}. */
  readonly resolve: ServerResolver;
  /** The clock (ms since epoch); defaults to `Date.now`. */
  readonly now?: () => number;
  /** `https` (default, as the spec requires); `http` only for tests and local clusters. */
  readonly scheme?: "https" | "http";
  /** Request timeout (default 60 s). */
  readonly timeoutMs?: number;
  /** Responses longer than this many characters are refused (default 100 MiB: `send_join` is big). */
  readonly maxResponseLength?: number;
  /** Sent as `User-Agent` when given. */
  readonly userAgent?: string;
}

/** Options of {@link FederationClient.queryNotaryKeys}. */
export interface QueryNotaryOptions {
  /**
   * The notary's current keys, to check its signature on every entry. When absent and
   * `requireNotarySignature` is not false, they are fetched from the notary first.
   */
  readonly notaryKeys?: ReadonlyMap<string, KnownVerifyKey>;
  /** Whether entries must be signed by the notary (default true). */
  readonly requireNotarySignature?: boolean;
  /** Asks the notary for keys valid until at least this time (ms since epoch); default now. */
  readonly minimumValidUntilTs?: number;
}

/** A client for the Server-Server API, signing every request as `origin`. */
export interface FederationClient {
  readonly origin: string;
  /**
   * Sends a signed request. `path` starts with `/_matrix/` and has its segments already
   * percent-encoded; the query string is built from `query`.
   *
   * @throws {@link FederationRequestError} for a non-2xx answer; {@link FederationTransportError}
   *   when no usable answer came back.
   */
  request<T = unknown>(
    destination: string,
    method: string,
    path: string,
    options?: FederationRequestOptions,
  ): Promise<FederationResponse<T>>;
  /**
   * `GET /_matrix/key/v2/server` on `destination`, checked with {@link verifyServerKeys}.
   *
   * @throws {@link ServerKeysError} for a response that cannot be trusted, and the errors of `request`.
   */
  fetchServerKeys(destination: string): Promise<VerifiedServerKeys>;
  /**
   * `POST /_matrix/key/v2/query` on `notary` for `servers` (server name → key IDs wanted, empty for
   * all), checked with {@link verifyNotaryResponse}.
   */
  queryNotaryKeys(
    notary: string,
    servers: Readonly<Record<string, readonly string[]>>,
    options?: QueryNotaryOptions,
  ): Promise<NotaryResult>;
}

/** Encodes query parameters as `application/x-www-form-urlencoded` without a leading `?`. */
export function encodeQuery(query: QueryParams): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join("&");
}

/** `host` as written in a URL: IPv6 literals in brackets. */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function linkSignals(
  timeoutMs: number,
  outer: AbortSignal | undefined,
): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`Timed out after ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** Creates a {@link FederationClient}. */
export function createFederationClient(options: FederationClientOptions): FederationClient {
  const now = options.now ?? Date.now;
  const scheme = options.scheme ?? "https";
  const defaultTimeout = options.timeoutMs ?? 60_000;
  const maxLength = options.maxResponseLength ?? 100 * 1024 * 1024;

  async function request<T>(
    destination: string,
    method: string,
    path: string,
    opts: FederationRequestOptions = {},
  ): Promise<FederationResponse<T>> {
    if (!path.startsWith("/")) throw new TypeError(`Federation path must start with '/': ${path}`);
    const upper = method.toUpperCase();
    const query = opts.query === undefined ? "" : encodeQuery(opts.query);
    const uri = query === "" ? path : `${path}?${query}`;
    const content =
      opts.body !== undefined ? opts.body : upper === "POST" || upper === "PUT" ? {} : undefined;
    const authorization = signRequest(
      { method: upper, uri, origin: options.origin, destination, content },
      options.key,
    );

    let target: Awaited<ReturnType<ServerResolver>>;
    try {
      target = await options.resolve(destination);
    } catch (err) {
      if (err instanceof ServerDiscoveryError) {
        throw new FederationTransportError(destination, "discovery", err.message, { cause: err });
      }
      throw err;
    }
    const headers: Record<string, string> = {
      host: target.hostHeader,
      authorization,
      accept: "application/json",
    };
    if (options.userAgent !== undefined) headers["user-agent"] = options.userAgent;
    const body = content === undefined ? undefined : JSON.stringify(content);
    if (body !== undefined) headers["content-type"] = "application/json";

    const timeoutMs = opts.timeoutMs ?? defaultTimeout;
    const linked = linkSignals(timeoutMs, opts.signal);
    let response: FederationHttpResponse;
    let text: string;
    // SRV resolutions may name further targets: each is tried in turn while connecting fails
    // ("Resolving server names", RFC 2782). Their addresses are looked up when connecting.
    const attempts: ResolvedServer[] = [
      target,
      ...(target.fallbacks ?? []).map(({ host, port }) => {
        const { addresses: _first, fallbacks: _rest, ...same } = target;
        return { ...same, host, port };
      }),
    ];
    try {
      linked.signal.throwIfAborted();
      for (let i = 0; ; i++) {
        const attempt = attempts[i]!;
        try {
          response = await options.fetch({
            url: `${scheme}://${urlHost(attempt.host)}:${attempt.port}${uri}`,
            method: upper,
            path: uri,
            headers,
            ...(body === undefined ? {} : { body }),
            target: attempt,
            signal: linked.signal,
          });
          break;
        } catch (err) {
          if (i + 1 >= attempts.length || linked.signal.aborted) throw err;
        }
      }
      const length = Number(response.headers.get("content-length"));
      if (Number.isFinite(length) && length > maxLength) {
        throw new FederationTransportError(
          destination,
          "too-large",
          `Response of ${length} bytes is too large`,
        );
      }
      const ok = response.status >= 200 && response.status < 300;
      if (opts.binary && ok && response.bytes) {
        const bytes = await response.bytes();
        if (bytes.byteLength > maxLength) {
          throw new FederationTransportError(
            destination,
            "too-large",
            `Response from ${destination} is too large`,
          );
        }
        return {
          status: response.status,
          json: undefined as T,
          bytes,
          contentType: response.headers.get("content-type") ?? "application/octet-stream",
          ...(response.headers.get("content-disposition")
            ? { contentDisposition: response.headers.get("content-disposition")! }
            : {}),
        };
      }
      text = await response.text();
    } catch (err) {
      if (err instanceof FederationTransportError) throw err;
      const timedOut = linked.signal.aborted && !opts.signal?.aborted;
      throw new FederationTransportError(
        destination,
        timedOut ? "timeout" : "connection",
        `${upper} ${path} on ${destination}: ${timedOut ? "timed out" : (err as Error).message}`,
        { cause: err },
      );
    } finally {
      linked.done();
    }
    if (text.length > maxLength) {
      throw new FederationTransportError(
        destination,
        "too-large",
        `Response from ${destination} is too large`,
      );
    }
    let json: unknown;
    let parsed = true;
    try {
      // Bounded like a request body; each PDU in it is checked (lone surrogates too) where it is used.
      json = parseJson(text, { maxDepth: MAX_FEDERATION_JSON_DEPTH, loneSurrogates: "allow" });
    } catch {
      parsed = false;
    }
    if (response.status >= 200 && response.status < 300) {
      if (!parsed) {
        throw new FederationTransportError(
          destination,
          "invalid-response",
          `${upper} ${path} on ${destination} answered ${response.status} without JSON`,
        );
      }
      return { status: response.status, json: json as T };
    }
    const error =
      parsed && typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
    throw new FederationRequestError(
      destination,
      upper,
      path,
      response.status,
      typeof error.errcode === "string" ? error.errcode : undefined,
      typeof error.error === "string" ? error.error : undefined,
      parsed ? json : undefined,
    );
  }

  async function fetchServerKeys(destination: string): Promise<VerifiedServerKeys> {
    const { json } = await request(destination, "GET", "/_matrix/key/v2/server");
    return verifyServerKeys(json, destination, now());
  }

  async function queryNotaryKeys(
    notary: string,
    servers: Readonly<Record<string, readonly string[]>>,
    opts: QueryNotaryOptions = {},
  ): Promise<NotaryResult> {
    let notaryKeys = opts.notaryKeys;
    if (notaryKeys === undefined && opts.requireNotarySignature !== false) {
      const fetched = await fetchServerKeys(notary);
      notaryKeys = new Map([...fetched.verifyKeys].filter(([, k]) => k.expiredTs === undefined));
    }
    const minimum = opts.minimumValidUntilTs ?? now();
    const serverKeys: Record<string, Record<string, { minimum_valid_until_ts: number }>> = {};
    for (const [serverName, keyIds] of Object.entries(servers)) {
      const criteria: Record<string, { minimum_valid_until_ts: number }> = {};
      for (const keyId of keyIds) criteria[keyId] = { minimum_valid_until_ts: minimum };
      serverKeys[serverName] = criteria;
    }
    const { json } = await request(notary, "POST", "/_matrix/key/v2/query", {
      body: { server_keys: serverKeys },
    });
    return verifyNotaryResponse(json, {
      notary,
      ...(notaryKeys === undefined ? {} : { notaryKeys }),
      servers: Object.keys(servers),
      now: now(),
    });
  }

  return { origin: options.origin, request, fetchServerKeys, queryNotaryKeys };
}

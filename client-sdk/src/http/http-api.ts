/**
 * Typed calls to the Client-Server API through the endpoint descriptors of
 * `@hearth/federation/client` (`clientApi`): the path, method and authentication come from the
 * descriptor, the parameter, query, body and response types too. Errors come back as the protocol's
 * `MatrixError`; `M_LIMIT_EXCEEDED` is retried after `retry_after_ms`, a bounded number of times.
 */
import {
  type BodyOf,
  type Endpoint,
  fillPath,
  MatrixError,
  type ParamsOf,
  parseJson,
  type QueryOf,
  type ResponseOf,
} from "@hearth/federation/client";
import { AbortedError, ConnectionError } from "../errors.js";

/** The parts of the browser's `XMLHttpRequest` an upload with progress uses. */
interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  readonly upload: {
    onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  readonly status: number;
  readonly responseText: string;
  getResponseHeader(name: string): string | null;
  abort(): void;
  send(body: unknown): void;
}

/** Deepest JSON nesting accepted in a response (event content nests up to 100 inside the envelope). */
const MAX_RESPONSE_DEPTH = 256;

/** The `fetch` the SDK calls (the global one by default). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How `M_LIMIT_EXCEEDED` responses are retried. */
export interface RateLimitPolicy {
  /** Retries after the first attempt (default 5); `0` turns retrying off. */
  readonly maxRetries?: number;
  /** Longest wait honoured before a retry (default 60 s); a longer `retry_after_ms` fails at once. */
  readonly maxWaitMs?: number;
}

/** Options of {@link HttpApi}. */
export interface HttpApiOptions {
  /** The homeserver's base URL, e.g. `https://matrix.example.org` (no trailing `/_matrix`). */
  readonly baseUrl: string;
  /** The access token to send, read at each request (it changes on login and logout). */
  readonly accessToken?: () => string | undefined;
  readonly fetch?: FetchLike;
  readonly rateLimit?: RateLimitPolicy;
  /** Timeout of a request without its own (default 60 s). */
  readonly requestTimeoutMs?: number;
}

/** Path parameters, query and body of a call to endpoint `E`, typed from its descriptor. */
export type CallRequest<E> = ([keyof ParamsOf<E>] extends [never]
  ? { readonly params?: undefined }
  : { readonly params: ParamsOf<E> }) &
  ([BodyOf<E>] extends [undefined] ? { readonly body?: undefined } : { readonly body: BodyOf<E> }) & {
    readonly query?: QueryOf<E>;
    readonly signal?: AbortSignal;
    /** This request's timeout (default: the client's). */
    readonly timeoutMs?: number;
    /** Send the access token even if the endpoint does not require one (default: as the descriptor says). */
    readonly auth?: boolean;
  };

/** Progress of an upload or download: bytes so far and the total, when known. */
export type ProgressCallback = (progress: {
  readonly loaded: number;
  readonly total: number | undefined;
}) => void;

/** What {@link HttpApi.download} returns. */
export interface Download {
  readonly data: Uint8Array;
  readonly contentType: string | undefined;
}

/** Waits `ms`, or rejects with {@link AbortedError} when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError("aborted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Appends a query object to a path: `undefined` skipped, arrays repeated, the rest stringified. */
export function withQuery(path: string, query: object | undefined): string {
  if (!query) return path;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(s)}`);
    }
  }
  return parts.length === 0 ? path : `${path}?${parts.join("&")}`;
}

/** The `MatrixError` for an error response (a non-Matrix body becomes `M_UNKNOWN`). */
export function errorFromResponse(
  status: number,
  text: string,
  retryAfterHeader?: string | null,
): MatrixError {
  let body: Record<string, unknown> = {};
  try {
    const parsed = parseJson(text, { maxDepth: MAX_RESPONSE_DEPTH, loneSurrogates: "allow" });
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's HTML page): an M_UNKNOWN with the status.
  }
  const { errcode, error, ...extra } = body;
  if (extra.retry_after_ms === undefined && retryAfterHeader) {
    const seconds = Number(retryAfterHeader);
    if (Number.isFinite(seconds) && seconds >= 0) extra.retry_after_ms = Math.round(seconds * 1000);
  }
  return new MatrixError(
    typeof errcode === "string" ? errcode : "M_UNKNOWN",
    typeof error === "string" ? error : `HTTP ${status}`,
    extra,
    status,
  );
}

/**
 * The Client-Server API over `fetch`. Each call names a descriptor from `clientApi`; the SDK never
 * writes a path by hand.
 */
export class HttpApi {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #token: () => string | undefined;
  readonly #maxRetries: number;
  readonly #maxWaitMs: number;
  readonly #timeoutMs: number;

  constructor(options: HttpApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#token = options.accessToken ?? (() => undefined);
    this.#maxRetries = options.rateLimit?.maxRetries ?? 5;
    this.#maxWaitMs = options.rateLimit?.maxWaitMs ?? 60_000;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /** The URL of a call (path filled, query appended). */
  url<E extends Endpoint>(endpoint: E, params?: Readonly<Record<string, string>>, query?: object): string {
    return this.baseUrl + withQuery(fillPath(endpoint.path, params ?? {}), query);
  }

  /**
   * Calls `endpoint` and returns its JSON response. Throws `MatrixError` for an error response (after
   * retrying `M_LIMIT_EXCEEDED`), {@link ConnectionError} when the server cannot be reached and
   * {@link AbortedError} when `signal` fires.
   */
  async call<E extends Endpoint>(endpoint: E, request: CallRequest<E>): Promise<ResponseOf<E>> {
    const url = this.url(
      endpoint,
      request.params as Record<string, string> | undefined,
      request.query as object,
    );
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.#withRateLimit(request.signal, () =>
      this.#request(url, endpoint, { method: endpoint.method, headers, body }, request),
    );
    const text = await res.text();
    if (text === "") return {} as ResponseOf<E>;
    return parseJson(text, { maxDepth: MAX_RESPONSE_DEPTH, loneSurrogates: "allow" }) as ResponseOf<E>;
  }

  /**
   * Uploads bytes (`POST /_matrix/media/v3/upload`) and returns the `mxc://` URI. `onProgress` is
   * called as the body is handed to the network (XMLHttpRequest's upload events in browsers, a
   * streamed request body elsewhere).
   */
  async upload(
    endpoint: Endpoint,
    data: Uint8Array,
    options: {
      readonly contentType?: string;
      readonly filename?: string;
      readonly onProgress?: ProgressCallback;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<{ content_uri: string }> {
    const url = this.url(endpoint, {}, options.filename ? { filename: options.filename } : undefined);
    const headers: Record<string, string> = {
      "content-type": options.contentType ?? "application/octet-stream",
    };
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    const XHR = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
    const text = await this.#withRateLimit(options.signal, async () => {
      if (XHR && options.onProgress) return this.#xhrUpload(XHR, url, headers, data, options);
      const res = await this.#send(url, {
        method: "POST",
        headers,
        body: options.onProgress ? progressStream(data, options.onProgress) : (data as RequestInit["body"]),
        ...(options.onProgress ? { duplex: "half" } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      } as RequestInit);
      const body = await res.text();
      if (!res.ok) throw errorFromResponse(res.status, body, res.headers.get("retry-after"));
      return body;
    });
    return parseJson(text, { maxDepth: MAX_RESPONSE_DEPTH }) as { content_uri: string };
  }

  /** Downloads bytes from a GET endpoint (authenticated media), reporting progress as they arrive. */
  async download(
    endpoint: Endpoint,
    params: Readonly<Record<string, string>>,
    options: { readonly onProgress?: ProgressCallback; readonly signal?: AbortSignal } = {},
  ): Promise<Download> {
    const url = this.url(endpoint, params);
    const res = await this.#withRateLimit(options.signal, () =>
      this.#request(url, endpoint, { method: "GET", headers: {} }, { signal: options.signal, timeoutMs: 0 }),
    );
    const lengthHeader = res.headers.get("content-length");
    const total = lengthHeader === null ? undefined : Number(lengthHeader);
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        options.onProgress?.({ loaded, total });
      }
    }
    const data = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    if (loaded === 0) options.onProgress?.({ loaded, total });
    return { data, contentType: res.headers.get("content-type") ?? undefined };
  }

  /** One request: headers, token, timeout; an error response thrown as `MatrixError`. */
  async #request(
    url: string,
    endpoint: Endpoint,
    init: { method: string; headers: Record<string, string>; body?: string },
    opts: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined; auth?: boolean | undefined },
  ): Promise<Response> {
    const token = this.#token();
    const wantsAuth = opts.auth ?? endpoint.auth !== "none";
    if (wantsAuth && token) init.headers.authorization = `Bearer ${token}`;
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    let res: Response;
    try {
      res = await this.#send(url, init, opts.signal, timeoutMs);
    } catch (e) {
      // A keep-alive connection the server closed just as it was reused fails at once; GET and PUT
      // (idempotent: sends carry a transaction ID) are tried once more on a fresh connection.
      if (!(e instanceof ConnectionError) || e.timedOut || (init.method !== "GET" && init.method !== "PUT"))
        throw e;
      res = await this.#send(url, init, opts.signal, timeoutMs);
    }
    if (!res.ok) throw errorFromResponse(res.status, await res.text(), res.headers.get("retry-after"));
    return res;
  }

  /** `fetch` with a timeout; network failures as {@link ConnectionError}. `timeoutMs` 0: none. */
  async #send(url: string, init: RequestInit, signal?: AbortSignal, timeoutMs = 0): Promise<Response> {
    if (signal?.aborted) throw new AbortedError("aborted");
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    try {
      return await this.#fetch(url, { ...init, signal: controller.signal });
    } catch (e) {
      if (signal?.aborted) throw new AbortedError("aborted");
      if (timedOut)
        throw new ConnectionError(`${init.method} ${url}: no response in ${timeoutMs} ms`, { timedOut });
      throw new ConnectionError(`${init.method} ${url}: ${(e as Error).message}`, { cause: e });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Runs `attempt`, retrying `M_LIMIT_EXCEEDED` after `retry_after_ms` up to the policy's bound. */
  async #withRateLimit<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof MatrixError) || e.errcode !== "M_LIMIT_EXCEEDED" || retry >= this.#maxRetries)
          throw e;
        const after = e.extra.retry_after_ms;
        // No hint: back off exponentially from half a second.
        const waitMs = typeof after === "number" && after >= 0 ? after : 500 * 2 ** retry;
        if (waitMs > this.#maxWaitMs) throw e;
        await sleep(waitMs, signal);
      }
    }
  }

  #xhrUpload(
    XHR: new () => XhrLike,
    url: string,
    headers: Record<string, string>,
    data: Uint8Array,
    options: { readonly onProgress?: ProgressCallback; readonly signal?: AbortSignal },
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const xhr = new XHR();
      xhr.open("POST", url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) =>
        options.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : data.byteLength });
      xhr.onload = () =>
        xhr.status >= 200 && xhr.status < 300
          ? resolve(xhr.responseText)
          : reject(errorFromResponse(xhr.status, xhr.responseText, xhr.getResponseHeader("retry-after")));
      xhr.onerror = () => reject(new ConnectionError(`POST ${url}: network error`));
      xhr.onabort = () => reject(new AbortedError("aborted"));
      options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send(data);
    });
  }
}

/** Size of the chunks a streamed upload hands to the network. */
const UPLOAD_CHUNK = 64 * 1024;

/** A request body streaming `data` in chunks, reporting each as it is pulled. */
function progressStream(data: Uint8Array, onProgress: ProgressCallback): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) {
        onProgress({ loaded: data.byteLength, total: data.byteLength });
        controller.close();
        return;
      }
      const end = Math.min(offset + UPLOAD_CHUNK, data.byteLength);
      controller.enqueue(data.subarray(offset, end));
      offset = end;
      if (offset < data.byteLength) onProgress({ loaded: offset, total: data.byteLength });
    },
  });
}

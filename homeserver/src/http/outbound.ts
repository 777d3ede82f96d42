/**
 * Outbound HTTP(S) for what the server calls besides other homeservers: push gateways (Push Gateway
 * API, `POST /_matrix/push/v1/notify`) and identity servers (Identity Service API). One client for all
 * of them, over the same Node transport as federation (`createNodeTransport` of `@hearth/federation`):
 * certificates are always verified (`federation_verify_tls` is for clusters of homeservers and does
 * not apply here), against Node's CAs plus the operator's extra CAs (`federation_ca`, the server's one
 * trust setting for outbound TLS); each request times out; answers are size-capped; redirects are not
 * followed. Callers get the status and the parsed JSON body, and an {@link OutboundHttpError} when
 * there is no answer (DNS, connection, TLS, timeout).
 */
import {
  createNodeTransport,
  type FederationFetch,
  type FederationHttpResponse,
  parseJson,
} from "@hearth/federation";

/** Options of {@link createOutboundHttp}. */
export interface OutboundHttpOptions {
  /**
   * The CA certificates (PEM) to trust instead of Node's defaults; to trust extra CAs as well, pass
   * `[...tls.rootCertificates, ...extra]` (`trustedCas` does). Default: Node's list.
   */
  readonly ca?: readonly string[];
  /**
   * Whether loopback and private addresses may be reached (default true: push gateways and identity
   * servers inside the operator's network are common, and pushers could always name any URL).
   */
  readonly allowPrivateAddresses?: boolean;
  /** Default time a request may take, connection included (default 10 s). */
  readonly timeoutMs?: number;
  /** Answers longer than this many bytes are refused (default 1 MiB). */
  readonly maxResponseBytes?: number;
  /** The `User-Agent` header (default `Hearth`). */
  readonly userAgent?: string;
  /** The transport (default `createNodeTransport` with the options above); for tests. */
  readonly transport?: FederationFetch;
}

/** An answer: the HTTP status and the body parsed as JSON (undefined when it is not JSON). */
export interface OutboundResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Options of one request. */
export interface OutboundRequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** No answer came: the URL was refused, or DNS, the connection, TLS or the time limit failed. */
export class OutboundHttpError extends Error {
  override readonly name = "OutboundHttpError";
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The outbound client. */
export interface OutboundHttp {
  /** Sends a request; resolves with any HTTP status; rejects with {@link OutboundHttpError}. */
  request(
    method: "GET" | "POST" | "PUT",
    url: string,
    options?: OutboundRequestOptions,
  ): Promise<OutboundResponse>;
  /** `POST url` with `body` as JSON. */
  postJson(
    url: string,
    body: unknown,
    options?: Omit<OutboundRequestOptions, "body">,
  ): Promise<OutboundResponse>;
  /** `GET url`. */
  getJson(url: string, options?: Omit<OutboundRequestOptions, "body">): Promise<OutboundResponse>;
}

/** Whether `host` (as in a URL, IPv6 in brackets) is an IP literal: no SNI is sent for those. */
function isIpLiteral(host: string): boolean {
  return host.startsWith("[") || /^[0-9.]+$/.test(host);
}

/** Creates the outbound client. */
export function createOutboundHttp(options: OutboundHttpOptions = {}): OutboundHttp {
  const fetch =
    options.transport ??
    createNodeTransport({
      allowPrivateAddresses: options.allowPrivateAddresses ?? true,
      rejectUnauthorized: true,
      ...(options.ca !== undefined ? { ca: [...options.ca] } : {}),
      maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024,
    });
  const defaultTimeout = options.timeoutMs ?? 10_000;
  const userAgent = options.userAgent ?? "Hearth";

  const request: OutboundHttp["request"] = async (method, url, requestOptions = {}) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundHttpError(url, "Not a URL");
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      throw new OutboundHttpError(url, `Only http and https URLs are called, not ${parsed.protocol}`);
    }
    const host = parsed.hostname;
    const bare = host.startsWith("[") ? host.slice(1, -1) : host;
    const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
    const body = requestOptions.body === undefined ? undefined : JSON.stringify(requestOptions.body);
    const timeoutMs = requestOptions.timeoutMs ?? defaultTimeout;
    let response: FederationHttpResponse;
    let text: string;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      response = await fetch({
        url: parsed.href,
        method,
        path: parsed.pathname + parsed.search,
        headers: {
          host: parsed.host,
          accept: "application/json",
          "user-agent": userAgent,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...Object.fromEntries(
            Object.entries(requestOptions.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
          ),
        },
        ...(body !== undefined ? { body } : {}),
        target: { host: bare, port, tlsServerName: bare, sni: !isIpLiteral(host), hostHeader: parsed.host },
        signal,
      });
      text = await response.text();
    } catch (err) {
      const reason = signal.aborted ? `timed out after ${timeoutMs} ms` : (err as Error).message;
      throw new OutboundHttpError(url, `${method} ${parsed.origin}${parsed.pathname}: ${reason}`, {
        cause: err,
      });
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : parseJson(text, { maxDepth: 100 });
    } catch {
      json = undefined;
    }
    return { status: response.status, body: json };
  };

  return {
    request,
    postJson: (url, body, o = {}) => request("POST", url, { ...o, body }),
    getJson: (url, o = {}) => request("GET", url, o),
  };
}

/**
 * Request authentication with the `X-Matrix` Authorization scheme (server-server API,
 * "Authentication" → "Request Authentication").
 *
 * The sender signs `{method, uri, origin, destination, content?}` with the JSON signing algorithm and
 * sends the signature in `Authorization: X-Matrix origin="…",destination="…",key="…",sig="…"`. The
 * receiver rebuilds the same JSON from the request it received and checks the signature.
 */
import { canonicalJsonEscapingLoneSurrogates } from "../canonical-json/index.js";
import type { SigningKey } from "../crypto/index.js";
import { decodeBase64, fastestEd25519, signJson } from "../crypto/index.js";
import { MatrixError } from "../errors/index.js";
import type { KnownVerifyKey } from "../events/index.js";
import { isValidServerName } from "../ids/index.js";

/** What a request signature covers ("Request Authentication", step 1). */
export interface RequestToSign {
  /** The HTTP method, upper case as sent (`GET`, `PUT`, …). */
  readonly method: string;
  /**
   * The request target exactly as sent: the path from `/_matrix/…`, with `?` and the query string if
   * any; no scheme, no host.
   */
  readonly uri: string;
  /** Our server name (before any delegation). */
  readonly origin: string;
  /** The destination's server name (before any delegation). */
  readonly destination: string;
  /** The request body as parsed JSON; absent for requests without a body. */
  readonly content?: unknown;
}

/** The JSON object a request signature is computed over ("Request Authentication", step 1). */
export function requestSigningJson(request: RequestToSign): Record<string, unknown> {
  const json: Record<string, unknown> = {
    method: request.method,
    uri: request.uri,
    origin: request.origin,
    destination: request.destination,
  };
  if (request.content !== undefined) json.content = request.content;
  return json;
}

/**
 * The `Authorization` header value for a request signed by `key`:
 * `X-Matrix origin="…",destination="…",key="ed25519:…",sig="…"`. Written the way the spec asks
 * senders to write it for older servers: one space after the scheme, lower-case names, quoted values,
 * no whitespace around commas. Server names, key IDs and Base64 never need escaping.
 *
 * @throws CanonicalJsonError if `content` cannot be canonical JSON (e.g. holds a float).
 */
export function signRequest(request: RequestToSign, key: SigningKey): string {
  const signed = signJson(requestSigningJson(request), request.origin, key) as {
    signatures: Record<string, Record<string, string>>;
  };
  const sig = signed.signatures[request.origin]![key.keyId]!;
  return formatXMatrixHeader({
    origin: request.origin,
    destination: request.destination,
    key: key.keyId,
    sig,
  });
}

/** The parameters of an `X-Matrix` Authorization header. */
export interface XMatrixAuth {
  readonly origin: string;
  /** Absent in headers from servers older than spec v1.3. */
  readonly destination?: string;
  /** The key ID, e.g. `ed25519:abc`. */
  readonly key: string;
  /** The Unpadded Base64 signature. */
  readonly sig: string;
}

/** Thrown by {@link parseXMatrixHeader} for a header that is not a well-formed `X-Matrix` header. */
export class XMatrixHeaderError extends Error {
  override readonly name: string = "XMatrixHeaderError";
}

/** Writes an `X-Matrix` header value. Values are quoted; `"` and `\` in them are escaped. */
export function formatXMatrixHeader(auth: XMatrixAuth): string {
  const quote = (value: string) => `"${value.replace(/[\\"]/g, "\\$&")}"`;
  const params = [`origin=${quote(auth.origin)}`];
  if (auth.destination !== undefined) params.push(`destination=${quote(auth.destination)}`);
  params.push(`key=${quote(auth.key)}`, `sig=${quote(auth.sig)}`);
  return `X-Matrix ${params.join(",")}`;
}

// RFC 9110 section 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const SCHEME = "x-matrix";

function isWhitespace(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

/**
 * Parses an `X-Matrix` Authorization header value ("Request Authentication"; RFC 9110 section 11.4):
 * the scheme (case-insensitive), one or more spaces, then `name=value` parameters separated by commas
 * with optional spaces and tabs around them (empty list elements are tolerated, as RFC 9110 section
 * 5.6.1 asks of recipients). Names are case-insensitive; values are tokens or quoted strings whose
 * backslash escapes are undone. For older servers, unquoted values may also contain `:`. Unknown
 * parameters are ignored; a repeated parameter is refused as ambiguous.
 *
 * @throws {@link XMatrixHeaderError} if the header is malformed or lacks `origin`, `key` or `sig`.
 */
export function parseXMatrixHeader(header: string): XMatrixAuth {
  let i = 0;
  const n = header.length;
  while (isWhitespace(header[i])) i++;
  if (header.slice(i, i + SCHEME.length).toLowerCase() !== SCHEME) {
    throw new XMatrixHeaderError("Authorization scheme is not X-Matrix");
  }
  i += SCHEME.length;
  if (!isWhitespace(header[i])) throw new XMatrixHeaderError("Expected a space after X-Matrix");
  const params = new Map<string, string>();
  let expectParam = true;
  while (i < n) {
    while (isWhitespace(header[i])) i++;
    if (i >= n) break;
    if (header[i] === ",") {
      i++;
      expectParam = true;
      continue;
    }
    if (!expectParam) throw new XMatrixHeaderError(`Expected ',' at offset ${i}`);
    const nameStart = i;
    while (i < n && TCHAR.test(header[i]!)) i++;
    if (i === nameStart) throw new XMatrixHeaderError(`Expected a parameter name at offset ${i}`);
    const name = header.slice(nameStart, i).toLowerCase();
    while (isWhitespace(header[i])) i++;
    if (header[i] !== "=")
      throw new XMatrixHeaderError(`Expected '=' after parameter ${JSON.stringify(name)}`);
    i++;
    while (isWhitespace(header[i])) i++;
    let value = "";
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === "\\") {
          const escaped = header[i + 1];
          if (escaped === undefined) break;
          if (!isQuotedChar(escaped)) throw new XMatrixHeaderError("Invalid character in quoted-pair");
          value += escaped;
          i += 2;
          continue;
        }
        if (!isQuotedChar(c))
          throw new XMatrixHeaderError(`Invalid character in quoted value at offset ${i}`);
        value += c;
        i++;
      }
      if (!closed) throw new XMatrixHeaderError(`Unterminated quoted value for ${JSON.stringify(name)}`);
    } else {
      const valueStart = i;
      // For compatibility with older servers, colons are allowed in unquoted values.
      while (i < n && (TCHAR.test(header[i]!) || header[i] === ":")) i++;
      if (i === valueStart) throw new XMatrixHeaderError(`Expected a value for ${JSON.stringify(name)}`);
      value = header.slice(valueStart, i);
    }
    if (params.has(name)) throw new XMatrixHeaderError(`Repeated parameter ${JSON.stringify(name)}`);
    params.set(name, value);
    expectParam = false;
  }
  const origin = params.get("origin");
  const key = params.get("key");
  const sig = params.get("sig");
  if (origin === undefined) throw new XMatrixHeaderError("Missing origin parameter");
  if (key === undefined) throw new XMatrixHeaderError("Missing key parameter");
  if (sig === undefined) throw new XMatrixHeaderError("Missing sig parameter");
  const destination = params.get("destination");
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}

/** qdtext and the characters of a quoted-pair: HTAB, SP, VCHAR and obs-text (RFC 9110 section 5.6.4). */
function isQuotedChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code === 0x09 || (code >= 0x20 && code !== 0x7f && code <= 0xff);
}

/** Why a request's authentication was refused. */
export type RequestAuthFailure =
  | "missing"
  | "malformed"
  | "invalid-origin"
  | "origin-mismatch"
  | "wrong-destination"
  | "unknown-key"
  | "expired-key"
  | "bad-signature";

/**
 * Thrown by {@link verifyRequest}: a `401 M_UNAUTHORIZED` whose `.reason` says why (match on that,
 * not on the message).
 */
export class RequestAuthenticationError extends MatrixError {
  override readonly name: string = "RequestAuthenticationError";
  constructor(
    readonly reason: RequestAuthFailure,
    message: string,
  ) {
    super("M_UNAUTHORIZED", message);
  }
}

/** Looks up a server's current verify key, fetching it if need be; undefined when it cannot be had. */
export type AsyncVerifyKeyLookup = (
  serverName: string,
  keyId: string,
) => Promise<KnownVerifyKey | undefined> | KnownVerifyKey | undefined;

/** A received request, as {@link verifyRequest} needs it. */
export interface ReceivedRequest {
  /** The HTTP method as received. */
  readonly method: string;
  /** The request target exactly as received (path and query string, undecoded). */
  readonly uri: string;
  /** Our own server name: what the sender must have named as destination. */
  readonly destination: string;
  /** The request body as parsed JSON; absent when the request had no body. */
  readonly content?: unknown;
  /** Every `Authorization` header value of the request. */
  readonly authorization: readonly string[] | string | undefined;
  /** The current time (ms since epoch), to refuse keys past their validity; defaults to `Date.now()`. */
  readonly now?: number;
}

/**
 * Authenticates a received federation request ("Request Authentication").
 *
 * Every `X-Matrix` Authorization header is parsed (other schemes are ignored); there must be at least
 * one, all must name the same, valid `origin`, and any `destination` they name must be ours. For
 * each header the signing key is looked up; it must be a current key (not an old verify key, not
 * past its `valid_until_ts`), and its signature over the rebuilt request JSON must verify.
 *
 * NOTSPEC: when a request carries several X-Matrix headers, every one must verify (the spec shows a
 * single header; refusing a request with one bad signature is the cautious reading).
 *
 * @returns the authenticated origin server name.
 * @throws {@link RequestAuthenticationError} (401 `M_UNAUTHORIZED`) if the request is not
 *   authenticated.
 */
export async function verifyRequest(
  request: ReceivedRequest,
  lookup: AsyncVerifyKeyLookup,
): Promise<{ origin: string }> {
  const headers =
    request.authorization === undefined
      ? []
      : typeof request.authorization === "string"
        ? [request.authorization]
        : request.authorization;
  const auths: XMatrixAuth[] = [];
  for (const header of headers) {
    if (!/^\s*x-matrix(?:[ \t]|$)/i.test(header)) continue;
    try {
      auths.push(parseXMatrixHeader(header));
    } catch (err) {
      if (err instanceof XMatrixHeaderError) {
        throw new RequestAuthenticationError("malformed", `Malformed X-Matrix header: ${err.message}`);
      }
      throw err;
    }
  }
  const first = auths[0];
  if (first === undefined)
    throw new RequestAuthenticationError("missing", "Missing X-Matrix Authorization header");
  const origin = first.origin;
  if (!isValidServerName(origin)) {
    throw new RequestAuthenticationError("invalid-origin", "X-Matrix origin is not a valid server name");
  }
  const now = request.now ?? Date.now();
  for (const auth of auths) {
    if (auth.origin !== origin) {
      throw new RequestAuthenticationError("origin-mismatch", "X-Matrix headers name different origins");
    }
    // Servers before v1.3 omit destination; then the signed JSON names us (or the signature fails).
    if (auth.destination !== undefined && auth.destination !== request.destination) {
      throw new RequestAuthenticationError("wrong-destination", "X-Matrix destination is not this server");
    }
    if (!auth.key.startsWith("ed25519:")) {
      throw new RequestAuthenticationError("unknown-key", `Unsupported key algorithm in ${auth.key}`);
    }
    const key = await lookup(origin, auth.key);
    if (key === undefined) {
      throw new RequestAuthenticationError("unknown-key", `Unknown key ${auth.key} for ${origin}`);
    }
    // Old verify keys sign events only, never requests ("Publishing Keys").
    if (key.expiredTs !== undefined || (key.validUntilTs !== undefined && key.validUntilTs < now)) {
      throw new RequestAuthenticationError("expired-key", `Key ${auth.key} of ${origin} is no longer valid`);
    }
    // A body with a lone surrogate (one bad PDU of a transaction) is still verified, over the escaped
    // form; its parts are checked one by one afterwards. Anything else canonical JSON cannot carry
    // (a float) fails the signature.
    let message: Uint8Array | undefined;
    let signature: Uint8Array | undefined;
    try {
      const json = requestSigningJson({ ...request, origin, destination: request.destination });
      message = Buffer.from(canonicalJsonEscapingLoneSurrogates(json), "utf8");
      signature = decodeBase64(auth.sig);
    } catch {
      // Left undefined: the signature cannot be checked.
    }
    if (!message || !signature || !fastestEd25519.verify(key.publicKey, message, signature)) {
      throw new RequestAuthenticationError("bad-signature", `Invalid request signature by ${origin}`);
    }
  }
  return { origin };
}

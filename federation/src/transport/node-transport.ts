/**
 * A {@link FederationFetch} over `node:http`/`node:https`: connects to a checked IP address of the
 * target, sends the `Host` header discovery chose, sends SNI and checks the certificate against the
 * name discovery chose ("TLS"), and caps response sizes.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { classifyAddress, refuseUnsafeAddress } from "./address.js";
import type { FederationFetch, FederationHttpResponse } from "./http.js";

/** Options of {@link createNodeTransport}. */
export interface NodeTransportOptions {
  /**
   * Whether to connect to loopback, private, link-local and unique-local addresses (default false;
   * true for tests and private clusters). See {@link refuseUnsafeAddress}.
   */
  readonly allowPrivateAddresses?: boolean;
  /** Whether to check TLS certificates (default true; false only where the config says so). */
  readonly rejectUnauthorized?: boolean;
  /**
   * The CA certificates (PEM) to trust instead of Node's default list, as `tls.connect`'s `ca`. To
   * trust extra CAs as well as the defaults, pass `[...tls.rootCertificates, ...extra]`.
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Response bodies longer than this many bytes are refused (default 100 MiB). */
  readonly maxResponseBytes?: number;
  /** Resolves a host name to addresses; defaults to `dns.lookup` (all addresses). */
  readonly lookup?: (hostname: string) => Promise<readonly string[]>;
  /** Most connections open to one destination at a time (default 32); more requests wait. */
  readonly maxSocketsPerDestination?: number;
}

/** Idle keep-alive connections are closed after this long (ms), before servers usually close them. */
const IDLE_MS = 4_000;

async function defaultLookup(hostname: string): Promise<readonly string[]> {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

/**
 * Creates a transport over `node:http(s)`. Every address is checked with
 * {@link refuseUnsafeAddress} and the connection goes to the first one that passes, by IP, so a DNS
 * answer cannot change between the check and the connection. Redirects are not followed.
 */
export function createNodeTransport(options: NodeTransportOptions = {}): FederationFetch {
  const allowPrivate = options.allowPrivateAddresses ?? false;
  const maxBytes = options.maxResponseBytes ?? 100 * 1024 * 1024;
  const lookup = options.lookup ?? defaultLookup;
  // Keep-alive connections per destination: the agents pool sockets by address, port and TLS
  // options (SNI name and CAs included), so each destination reuses its own connections.
  const pool = { keepAlive: true, timeout: IDLE_MS, maxSockets: options.maxSocketsPerDestination ?? 32 };
  const httpAgent = new HttpAgent(pool);
  const httpsAgent = new HttpsAgent(pool);

  return async (req) => {
    const url = new URL(req.url);
    const https = url.protocol === "https:";
    const { target } = req;
    const candidates =
      target.addresses ??
      (classifyAddress(target.host) !== undefined ? [target.host] : await lookup(target.host));
    let address: string | undefined;
    let refusal: unknown;
    for (const candidate of candidates) {
      try {
        refuseUnsafeAddress(candidate, allowPrivate);
        address = candidate;
        break;
      } catch (err) {
        refusal ??= err;
      }
    }
    if (address === undefined) throw refusal ?? new Error(`No address for ${target.host}`);

    const requestOptions: RequestOptions & Record<string, unknown> = {
      host: address.startsWith("[") ? address.slice(1, -1) : address,
      port: target.port,
      method: req.method,
      path: req.path,
      headers: {
        ...req.headers,
        ...(req.body === undefined ? {} : { "content-length": Buffer.byteLength(req.body) }),
      },
      ...(req.signal === undefined ? {} : { signal: req.signal }),
      agent: https ? httpsAgent : httpAgent,
    };
    if (https) {
      requestOptions.servername = target.sni ? target.tlsServerName : "";
      requestOptions.rejectUnauthorized = options.rejectUnauthorized ?? true;
      if (options.ca !== undefined) requestOptions.ca = options.ca;
      requestOptions.checkServerIdentity = (_host: string, cert: PeerCertificate) =>
        checkServerIdentity(target.tlsServerName, cert);
    }

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(requestOptions, resolve);
      request.on("error", reject);
      request.end(req.body);
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const body = await new Promise<Buffer>((resolve, reject) => {
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          response.destroy(new Error(`Response larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => resolve(Buffer.concat(chunks)));
      response.on("error", reject);
      response.on("aborted", () => reject(new Error("Response aborted")));
    });
    const result: FederationHttpResponse = {
      status: response.statusCode ?? 0,
      headers: {
        get(name) {
          const value = response.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(", ") : String(value);
        },
      },
      text: async () => body.toString("utf8"),
      bytes: async () => new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    };
    return result;
  };
}

/**
 * Server discovery (server-server API, "Server discovery" → "Resolving server names"): from a server
 * name to where to connect, which certificate name to expect and which `Host` header to send.
 *
 * All I/O is injected: the `.well-known` fetch, SRV lookups and (optionally) address lookups, so the
 * steps can be followed exactly and tested without a network.
 */
import type { ParsedServerName } from "../ids/index.js";
import { checkServerName } from "../ids/server-name.js";
import { MAX_FEDERATION_JSON_DEPTH, parseJson } from "../json/index.js";

/** The port a Matrix server listens on when nothing says otherwise. */
export const DEFAULT_FEDERATION_PORT = 8448;

/** An SRV record, as `node:dns/promises` `resolveSrv` returns them. */
export interface SrvRecord {
  /** The target host name. */
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** The raw answer to `GET https://<hostname>/.well-known/matrix/server`, after redirects. */
export interface WellKnownResponse {
  readonly status: number;
  /** The body as text (the spec says to parse it as JSON whatever its Content-Type). */
  readonly body: string;
  /** The `Cache-Control` header, if any. */
  readonly cacheControl?: string | null;
}

/** Which step of "Resolving server names" decided the target, numbered as in the spec. */
export type DiscoveryStep = "1" | "2" | "3.1" | "3.2" | "3.3" | "3.4" | "3.5" | "4" | "5" | "6";

/** Where to send requests for a server. */
export interface ResolvedServer {
  /** The server name that was resolved. */
  readonly serverName: string;
  /** The host to connect to: an IP literal (IPv6 without brackets) or a host name to look up. */
  readonly host: string;
  readonly port: number;
  /** The name the server's TLS certificate must be valid for (a host name or an IP literal). */
  readonly tlsServerName: string;
  /** Whether to send `tlsServerName` as SNI: not for IP literals ("TLS"). */
  readonly sni: boolean;
  /** The `Host` header to send. */
  readonly hostHeader: string;
  /** The addresses of `host`, when a `resolveHost` dependency was given (or `host` is an IP). */
  readonly addresses?: readonly string[];
  /** The spec step that decided this. */
  readonly step: DiscoveryStep;
  /**
   * For SRV steps: the other targets of the records, in the order RFC 2782 gives, to try in turn
   * when `host:port` cannot be reached (same TLS name and `Host` header).
   */
  readonly fallbacks?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
}

/** Thrown when a server name cannot be resolved. Match on `.name` and `.reason`. */
export class ServerDiscoveryError extends Error {
  override readonly name: string = "ServerDiscoveryError";
  constructor(
    readonly serverName: string,
    readonly reason: "invalid-server-name" | "dns-failure",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Cache lifetimes for `.well-known` answers ("Resolving server names", step 3). */
export const WELL_KNOWN_CACHE = {
  /** Used when the response has no cache headers: "The recommended sensible default is 24 hours." */
  defaultMs: 24 * 60 * 60 * 1000,
  /** "Servers should additionally impose a maximum cache time for responses: 48 hours." */
  maxMs: 48 * 60 * 60 * 1000,
  /** First failure: errors are cached, backing off exponentially for repeated failures… */
  errorMinMs: 5 * 60 * 1000,
  /** …"for up to an hour". */
  errorMaxMs: 60 * 60 * 1000,
} as const;

interface WellKnownEntry {
  /** The delegated server name, or undefined when the lookup failed. */
  readonly delegated: ParsedServerName | undefined;
  readonly expiresAt: number;
  /** Consecutive failures, for the error backoff. */
  readonly failures: number;
}

/**
 * A bounded cache of `.well-known` results per host name, with the spec's lifetimes. One per
 * resolver; share it across calls to {@link resolveServer} (or use {@link createServerResolver}).
 */
export class WellKnownCache {
  readonly #entries = new Map<string, WellKnownEntry>();
  constructor(readonly limit = 10_000) {}

  /** The live entry for `hostname`, if any. */
  get(hostname: string, now: number): WellKnownEntry | undefined {
    const entry = this.#entries.get(hostname);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  /** The number of consecutive failures recorded for `hostname`, live or expired. */
  failures(hostname: string): number {
    return this.#entries.get(hostname)?.failures ?? 0;
  }

  set(hostname: string, entry: WellKnownEntry): void {
    this.#entries.delete(hostname);
    if (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hostname, entry);
  }

  /** Forgets everything (e.g. after a configuration change). */
  clear(): void {
    this.#entries.clear();
  }
}

/**
 * How long to cache a successful `.well-known` response, from its `Cache-Control` header:
 * `no-store`/`no-cache` → 0, `max-age=N` → N seconds, otherwise the 24-hour default; at most 48 hours.
 */
export function wellKnownCacheMs(cacheControl: string | null | undefined): number {
  if (cacheControl) {
    const directives = cacheControl
      .toLowerCase()
      .split(",")
      .map((d) => d.trim());
    if (directives.includes("no-store") || directives.includes("no-cache")) return 0;
    for (const d of directives) {
      const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
      if (match) return Math.min(Number(match[1]) * 1000, WELL_KNOWN_CACHE.maxMs);
    }
  }
  return WELL_KNOWN_CACHE.defaultMs;
}

/** The dependencies of {@link resolveServer}. */
export interface DiscoveryDeps {
  /**
   * Fetches `https://<hostname>/.well-known/matrix/server`, following redirects (avoiding loops).
   * Throws on network or TLS errors; those count as an error response.
   */
  fetchWellKnown(hostname: string): Promise<WellKnownResponse>;
  /**
   * Looks up SRV records. Resolves to `[]` when the name has none (NXDOMAIN, NODATA); throws on
   * other DNS failures, which fail the resolution (rather than silently choosing another target).
   */
  resolveSrv(name: string): Promise<readonly SrvRecord[]>;
  /** Looks up the addresses (CNAME, AAAA, A) of a host name; when given, results carry `addresses`. */
  resolveHost?(hostname: string): Promise<readonly string[]>;
  /** The `.well-known` cache; without one, every call fetches. */
  cache?: WellKnownCache;
  /** The clock (ms since epoch); defaults to `Date.now`. */
  now?: () => number;
  /** Random numbers in [0, 1) for SRV weights; defaults to `Math.random`. */
  random?: () => number;
}

function validPort(port: number | undefined): boolean {
  return port === undefined || (port >= 1 && port <= 65535);
}

/** `name` without a trailing dot, as DNS answers write them. */
function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * Orders SRV records as RFC 2782 asks: by priority, and within a priority by weighted random choice.
 * Records whose target is `.` ("service decidedly not available") are dropped.
 */
export function orderSrvRecords(
  records: readonly SrvRecord[],
  random: () => number = Math.random,
): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) {
    if (stripDot(r.name) === "") continue;
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero-weight records first, so they have a small chance of selection (RFC 2782).
    const pool = byPriority
      .get(priority)!
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += pool[i]!.weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(pool.splice(index, 1)[0]!);
    }
  }
  return out;
}

/** Parses a `.well-known` body; the delegated server name, or undefined when it is invalid. */
export function parseWellKnown(response: WellKnownResponse): ParsedServerName | undefined {
  if (response.status !== 200) return undefined;
  let body: unknown;
  try {
    body = parseJson(response.body, { maxDepth: MAX_FEDERATION_JSON_DEPTH });
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const checked = checkServerName((body as Record<string, unknown>)["m.server"]);
  if (!checked.ok || !validPort(checked.value.port)) return undefined;
  return checked.value;
}

async function lookupWellKnown(
  hostname: string,
  deps: DiscoveryDeps,
  now: number,
): Promise<ParsedServerName | undefined> {
  const cached = deps.cache?.get(hostname, now);
  if (cached !== undefined) return cached.delegated;
  let delegated: ParsedServerName | undefined;
  let ttl: number;
  try {
    const response = await deps.fetchWellKnown(hostname);
    delegated = parseWellKnown(response);
    ttl = delegated === undefined ? 0 : wellKnownCacheMs(response.cacheControl);
  } catch {
    delegated = undefined;
    ttl = 0;
  }
  if (deps.cache !== undefined) {
    if (delegated !== undefined) {
      if (ttl > 0) deps.cache.set(hostname, { delegated, expiresAt: now + ttl, failures: 0 });
    } else {
      // Errors (and invalid responses) are cached too, backing off exponentially up to an hour.
      const failures = deps.cache.failures(hostname) + 1;
      const backoff = Math.min(
        WELL_KNOWN_CACHE.errorMinMs * 2 ** (failures - 1),
        WELL_KNOWN_CACHE.errorMaxMs,
      );
      deps.cache.set(hostname, { delegated: undefined, expiresAt: now + backoff, failures });
    }
  }
  return delegated;
}

/** The `fallbacks` of a resolution from the SRV records after the first (none: no field). */
function fallbacksOf(rest: readonly SrvRecord[]): Pick<ResolvedServer, "fallbacks"> {
  return rest.length === 0 ? {} : { fallbacks: rest.map((r) => ({ host: r.name, port: r.port })) };
}

async function srvTarget(
  hostname: string,
  serverName: string,
  deps: DiscoveryDeps,
): Promise<{ record: SrvRecord; rest: SrvRecord[]; legacy: boolean } | undefined> {
  const random = deps.random ?? Math.random;
  for (const [prefix, legacy] of [
    ["_matrix-fed._tcp.", false],
    ["_matrix._tcp.", true],
  ] as const) {
    let records: readonly SrvRecord[];
    try {
      records = await deps.resolveSrv(prefix + hostname);
    } catch (err) {
      throw new ServerDiscoveryError(
        serverName,
        "dns-failure",
        `SRV lookup for ${prefix + hostname} failed`,
        {
          cause: err,
        },
      );
    }
    const [first, ...rest] = orderSrvRecords(records, random).map((r) => ({ ...r, name: stripDot(r.name) }));
    if (first !== undefined) return { record: first, rest, legacy };
  }
  return undefined;
}

/**
 * Resolves a server name to where to send its federation requests, following "Resolving server
 * names" step by step:
 *
 * 1. IP literal: that address, with its port or 8448; `Host` is the server name.
 * 2. Host name with a port: that host and port; `Host` is the server name.
 * 3. Otherwise `/.well-known/matrix/server` (cached); when it delegates to `m.server`:
 *    3.1 an IP literal: that address and port (or 8448), `Host` the delegated name;
 *    3.2 a host name with a port: that host and port, `Host` the delegated name;
 *    3.3 SRV `_matrix-fed._tcp.<delegated>`; 3.4 (deprecated) SRV `_matrix._tcp.<delegated>`;
 *        `Host` and certificate are the delegated host name;
 *    3.5 the delegated host name on 8448.
 * 4. SRV `_matrix-fed._tcp.<hostname>`; 5. (deprecated) SRV `_matrix._tcp.<hostname>`;
 * 6. the host name on 8448. In 4–6 `Host` and certificate are the original host name.
 *
 * @throws {@link ServerDiscoveryError} for an invalid server name (or a port outside 1–65535) and
 *   for DNS failures other than "no such record".
 */
export async function resolveServer(serverName: string, deps: DiscoveryDeps): Promise<ResolvedServer> {
  const checked = checkServerName(serverName);
  if (!checked.ok || !validPort(checked.value.port)) {
    throw new ServerDiscoveryError(
      serverName,
      "invalid-server-name",
      `Invalid server name ${JSON.stringify(serverName)}`,
    );
  }
  const parsed = checked.value;
  const now = (deps.now ?? Date.now)();

  const finish = async (
    target: Omit<ResolvedServer, "serverName" | "addresses" | "sni">,
  ): Promise<ResolvedServer> => {
    // Only steps 1 and 3.1 connect to an IP literal; no SNI is sent for those ("TLS").
    const isIp = target.step === "1" || target.step === "3.1";
    const resolved: ResolvedServer = { serverName, ...target, sni: !isIp };
    if (isIp) return { ...resolved, addresses: [target.host] };
    if (deps.resolveHost === undefined) return resolved;
    let addresses: readonly string[];
    try {
      addresses = await deps.resolveHost(target.host);
    } catch (err) {
      throw new ServerDiscoveryError(serverName, "dns-failure", `Address lookup for ${target.host} failed`, {
        cause: err,
      });
    }
    return { ...resolved, addresses };
  };

  // Step 1: an IP literal.
  if (parsed.kind !== "dns") {
    return finish({
      host: parsed.host,
      port: parsed.port ?? DEFAULT_FEDERATION_PORT,
      tlsServerName: parsed.host,
      hostHeader: serverName,
      step: "1",
    });
  }
  // Step 2: a host name with an explicit port.
  if (parsed.port !== undefined) {
    return finish({
      host: parsed.host,
      port: parsed.port,
      tlsServerName: parsed.host,
      hostHeader: serverName,
      step: "2",
    });
  }
  // Step 3: .well-known delegation.
  const delegated = await lookupWellKnown(parsed.host, deps, now);
  if (delegated !== undefined) {
    const name = delegated.serverName;
    if (delegated.kind !== "dns") {
      return finish({
        host: delegated.host,
        port: delegated.port ?? DEFAULT_FEDERATION_PORT,
        tlsServerName: delegated.host,
        hostHeader: name,
        step: "3.1",
      });
    }
    if (delegated.port !== undefined) {
      return finish({
        host: delegated.host,
        port: delegated.port,
        tlsServerName: delegated.host,
        hostHeader: name,
        step: "3.2",
      });
    }
    const srv = await srvTarget(delegated.host, serverName, deps);
    if (srv !== undefined) {
      return finish({
        host: srv.record.name,
        port: srv.record.port,
        tlsServerName: delegated.host,
        hostHeader: delegated.host,
        step: srv.legacy ? "3.4" : "3.3",
        ...fallbacksOf(srv.rest),
      });
    }
    return finish({
      host: delegated.host,
      port: DEFAULT_FEDERATION_PORT,
      tlsServerName: delegated.host,
      hostHeader: delegated.host,
      step: "3.5",
    });
  }
  // Steps 4 and 5: SRV records of the original host name.
  const srv = await srvTarget(parsed.host, serverName, deps);
  if (srv !== undefined) {
    return finish({
      host: srv.record.name,
      port: srv.record.port,
      tlsServerName: parsed.host,
      hostHeader: parsed.host,
      step: srv.legacy ? "5" : "4",
      ...fallbacksOf(srv.rest),
    });
  }
  // Step 6: the host name on the default port.
  return finish({
    host: parsed.host,
    port: DEFAULT_FEDERATION_PORT,
    tlsServerName: parsed.host,
    hostHeader: parsed.host,
    step: "6",
  });
}

/** A function resolving server names, as the federation client takes it. */
export type ServerResolver = (serverName: string) => Promise<ResolvedServer>;

/** A resolver with its own `.well-known` cache: {@link resolveServer} with `deps` bound. */
export function createServerResolver(deps: DiscoveryDeps): ServerResolver {
  const bound: DiscoveryDeps = { ...deps, cache: deps.cache ?? new WellKnownCache() };
  return (serverName) => resolveServer(serverName, bound);
}

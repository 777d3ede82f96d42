/**
 * Homeserver configuration: the schema with defaults, loaded from an optional YAML file and overridden
 * by `HEARTH_*` environment variables. Invalid configuration fails at start with a message naming the
 * key. Every key is documented in `homeserver/hearth.example.yaml`.
 *
 * Relative paths (`data_dir`, `tls_cert`, `tls_key`, `federation_ca`, the `--config` file) are resolved
 * here, once, from the directory the user ran the command in ({@link invocationDir}), so the rest of
 * the server only sees absolute paths.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isKnownRoomVersion, isValidServerName } from "@hearth/federation";
import { parse as parseYaml } from "yaml";

/** How new accounts may be registered. */
export type RegistrationMode = "open" | "token" | "closed";

/** A rate limit: a burst of `burst` requests, refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The validated configuration. */
export interface HearthConfig {
  /** The server name: the domain part of user IDs and room aliases (`localhost`, `example.org`). */
  readonly serverName: string;
  /** Where the client API listens. */
  readonly bind: { readonly host: string; readonly port: number };
  /** Where the database, signing key and other state live; absolute. */
  readonly dataDir: string;
  readonly registration: RegistrationMode;
  /**
   * Whether `POST /register?kind=guest` creates guest accounts (Client-Server API, "Guest Access").
   * Defaults to on exactly when registration is `open`.
   */
  readonly allowGuestAccess: boolean;
  /** Secret for `/_synapse/admin/v1/register`-style shared-secret registration (the CLI uses it). */
  readonly registrationSharedSecret: string | undefined;
  /** Rate limits; `undefined` when disabled. */
  readonly rateLimits:
    | { readonly login: RateLimit; readonly registration: RateLimit; readonly message: RateLimit }
    | undefined;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** The room version of new rooms unless the client asks for another. */
  readonly defaultRoomVersion: string;
  /** The base URL clients should use, advertised in `/.well-known/matrix/client`. */
  readonly publicBaseUrl: string;
  /** Largest request body accepted, in bytes. */
  readonly maxRequestBytes: number;
  /** Largest media upload accepted, in bytes (`m.upload.size`). */
  readonly maxUploadBytes: number;
  /** Federation; the listener runs only when `federation.bind` is set. */
  readonly federation: FederationConfig;
  /** Gossip among Hearth servers (`specs/gossip.md`). */
  readonly gossip: GossipConfig;
  /** host:port of the metrics listener (`GET /metrics`); undefined: no metrics. */
  readonly metricsBind: { readonly host: string; readonly port: number } | undefined;
  /** The WebSocket sync stream (`org.hearth.ws`, `specs/websocket-sync.md`) on the client listener. */
  readonly wsSync: boolean;
  /** The web client (`client-sdk/apps/web`), served at `/` on the client listener. */
  readonly webClient: boolean;
}

/**
 * Gossip settings. `off`: federation is HTTP only. `alongside`: room events are also gossiped, and
 * every PDU still goes over HTTP. `preferred`: a PDU is not sent over HTTP to a server that takes the
 * room over gossip (repair fetches what gossip missed).
 */
export interface GossipConfig {
  readonly mode: "off" | "alongside" | "preferred";
  /** host:port of the libp2p TCP listener (when mode is not `off`). */
  readonly bind: { readonly host: string; readonly port: number } | undefined;
  /** host:port others dial, published in our record (default: `bind`). */
  readonly announce: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Gossipsub mesh degree (D): peers each room's mesh keeps. */
  readonly meshDegree: number;
  /** How often each room's heads are announced for repair (ms). */
  readonly repairIntervalMs: number;
}

/** Federation settings (Server-Server API). */
export interface FederationConfig {
  /** host:port of the federation listener (always TLS); undefined: no listener. */
  readonly bind: { readonly host: string; readonly port: number } | undefined;
  /** PEM certificate chain and private key files for the listener; absolute. */
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** Verify remote servers' certificates (true unless a cluster of self-signed servers says otherwise). */
  readonly verifyTls: boolean;
  /**
   * PEM file of extra CAs trusted, on top of Node's, for all outbound TLS (federation, push gateways,
   * identity servers); absolute.
   */
  readonly caFile: string | undefined;
  /** Let outbound federation reach loopback and private addresses (local clusters, tests). */
  readonly allowPrivate: boolean;
}

/** Thrown for invalid configuration; the message names the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`Invalid configuration: ${key}: ${message}`);
  }
}

const DEFAULT_RATE_LIMITS = {
  login: { perSecond: 0.5, burst: 5 },
  registration: { perSecond: 0.2, burst: 5 },
  message: { perSecond: 20, burst: 100 },
};

/** The YAML keys, with the environment variable that overrides each. */
const ENV: Record<string, string> = {
  server_name: "HEARTH_SERVER_NAME",
  bind: "HEARTH_BIND",
  data_dir: "HEARTH_DATA_DIR",
  registration: "HEARTH_REGISTRATION",
  registration_shared_secret: "HEARTH_REGISTRATION_SHARED_SECRET",
  allow_guest_access: "HEARTH_ALLOW_GUEST_ACCESS",
  rate_limits: "HEARTH_RATE_LIMITS",
  log_level: "HEARTH_LOG_LEVEL",
  default_room_version: "HEARTH_DEFAULT_ROOM_VERSION",
  public_base_url: "HEARTH_PUBLIC_BASE_URL",
  max_request_bytes: "HEARTH_MAX_REQUEST_BYTES",
  max_upload_bytes: "HEARTH_MAX_UPLOAD_BYTES",
  federation_bind: "HEARTH_FEDERATION_BIND",
  tls_cert: "HEARTH_TLS_CERT",
  tls_key: "HEARTH_TLS_KEY",
  federation_verify_tls: "HEARTH_FEDERATION_VERIFY_TLS",
  federation_ca: "HEARTH_FEDERATION_CA",
  federation_allow_private: "HEARTH_FEDERATION_ALLOW_PRIVATE",
  gossip: "HEARTH_GOSSIP",
  gossip_bind: "HEARTH_GOSSIP_BIND",
  gossip_announce: "HEARTH_GOSSIP_ANNOUNCE",
  gossip_mesh_degree: "HEARTH_GOSSIP_MESH_DEGREE",
  gossip_repair_interval_ms: "HEARTH_GOSSIP_REPAIR_INTERVAL_MS",
  metrics_bind: "HEARTH_METRICS_BIND",
  ws_sync: "HEARTH_WS_SYNC",
  web_client: "HEARTH_WEB_CLIENT",
};

function parseBoolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new ConfigError(key, `must be true or false, not ${JSON.stringify(value)}`);
}

/**
 * The directory relative paths are resolved from: the one the user ran the command in. npm runs
 * scripts (`npm start`, also from a subdirectory, and workspace scripts) in a package's folder, and
 * sets `INIT_CWD` to where it was invoked, for `npx` too; without npm it is the working directory.
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.INIT_CWD;
  return dir !== undefined && isAbsolute(dir) ? dir : process.cwd();
}

function optionalPath(key: string, value: unknown, base: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new ConfigError(key, "must be a file path");
  return resolve(base, value);
}

const KNOWN_KEYS = new Set(Object.keys(ENV));

function parseBind(key: string, value: unknown): { host: string; port: number } {
  if (typeof value !== "string") throw new ConfigError(key, "must be host:port, e.g. 127.0.0.1:8008");
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 0 || port > 65535)
    throw new ConfigError(key, `must be host:port, not ${JSON.stringify(value)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function parseRateLimits(key: string, value: unknown): HearthConfig["rateLimits"] {
  if (value === undefined || value === "on" || value === true) return DEFAULT_RATE_LIMITS;
  if (value === "off" || value === false) return undefined;
  if (typeof value !== "object" || value === null) throw new ConfigError(key, 'must be "on", "off" or a map');
  const out: Record<string, RateLimit> = { ...DEFAULT_RATE_LIMITS };
  for (const [name, limit] of Object.entries(value)) {
    if (!(name in DEFAULT_RATE_LIMITS)) throw new ConfigError(`${key}.${name}`, "unknown rate limit");
    const l = limit as Partial<RateLimit> | null;
    if (
      typeof l !== "object" ||
      l === null ||
      typeof l.perSecond !== "number" ||
      !(l.perSecond > 0) ||
      typeof l.burst !== "number" ||
      !(l.burst >= 1)
    ) {
      throw new ConfigError(`${key}.${name}`, "must be {perSecond: number > 0, burst: number >= 1}");
    }
    out[name] = { perSecond: l.perSecond, burst: l.burst };
  }
  return out as NonNullable<HearthConfig["rateLimits"]>;
}

function onOff(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "on" || value === true || value === "true") return true;
  if (value === "off" || value === false || value === "false") return false;
  throw new ConfigError(key, `must be on or off, not ${JSON.stringify(value)}`);
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new ConfigError(key, `must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
  }
  return value as T;
}

/**
 * Builds the configuration from raw values (YAML keys) and the environment. Environment variables
 * win over the file; defaults fill the rest. Relative paths are resolved from
 * {@link invocationDir}`(env)`.
 */
export function buildConfig(
  file: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): HearthConfig {
  for (const key of Object.keys(file)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(key, "unknown key (see hearth.example.yaml)");
  }
  const raw: Record<string, unknown> = { ...file };
  for (const [key, variable] of Object.entries(ENV)) {
    const v = env[variable];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  const serverName = raw.server_name ?? "localhost";
  if (!isValidServerName(serverName))
    throw new ConfigError("server_name", `not a valid server name: ${serverName}`);
  const bind = parseBind("bind", raw.bind ?? "127.0.0.1:8008");
  const base = invocationDir(env);
  const dataDir = raw.data_dir ?? "./hearth-data";
  if (typeof dataDir !== "string" || dataDir === "") throw new ConfigError("data_dir", "must be a path");
  const registration = oneOf<RegistrationMode>(
    "registration",
    raw.registration,
    ["open", "token", "closed"],
    serverName === "localhost" ? "open" : "closed",
  );
  const secret = raw.registration_shared_secret;
  if (secret !== undefined && (typeof secret !== "string" || secret.length < 16)) {
    throw new ConfigError("registration_shared_secret", "must be a string of at least 16 characters");
  }
  const defaultRoomVersion = String(raw.default_room_version ?? "11");
  if (!isKnownRoomVersion(defaultRoomVersion)) {
    throw new ConfigError("default_room_version", `unknown room version ${defaultRoomVersion}`);
  }
  const publicBaseUrl =
    raw.public_base_url ?? `http://${bind.host.includes(":") ? `[${bind.host}]` : bind.host}:${bind.port}`;
  if (typeof publicBaseUrl !== "string" || !/^https?:\/\/\S+$/.test(publicBaseUrl)) {
    throw new ConfigError("public_base_url", "must be an http(s) URL");
  }
  const maxRequestBytes = Number(raw.max_request_bytes ?? 1_048_576);
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 65_536) {
    throw new ConfigError("max_request_bytes", "must be an integer of at least 65536");
  }
  const maxUploadBytes = Number(raw.max_upload_bytes ?? 50 * 1_048_576);
  if (!Number.isInteger(maxUploadBytes) || maxUploadBytes < 1024) {
    throw new ConfigError("max_upload_bytes", "must be an integer of at least 1024");
  }
  const federationBind =
    raw.federation_bind === undefined ? undefined : parseBind("federation_bind", raw.federation_bind);
  const tlsCert = optionalPath("tls_cert", raw.tls_cert, base);
  const tlsKey = optionalPath("tls_key", raw.tls_key, base);
  if (federationBind && (!tlsCert || !tlsKey)) {
    throw new ConfigError(
      "tls_cert",
      "federation_bind needs tls_cert and tls_key (the listener is always TLS)",
    );
  }
  const gossip = parseGossip(raw, federationBind);
  return {
    serverName,
    bind,
    dataDir: resolve(base, dataDir),
    registration,
    // Guests are a kind of registration: open registration lets them in unless told otherwise.
    allowGuestAccess: parseBoolean("allow_guest_access", raw.allow_guest_access, registration === "open"),
    registrationSharedSecret: secret as string | undefined,
    rateLimits: parseRateLimits("rate_limits", raw.rate_limits),
    logLevel: oneOf(
      "log_level",
      raw.log_level,
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      "info",
    ),
    defaultRoomVersion,
    publicBaseUrl: publicBaseUrl.replace(/\/+$/, ""),
    maxRequestBytes,
    maxUploadBytes,
    federation: {
      bind: federationBind,
      tlsCert,
      tlsKey,
      verifyTls: parseBoolean("federation_verify_tls", raw.federation_verify_tls, true),
      caFile: optionalPath("federation_ca", raw.federation_ca, base),
      allowPrivate: parseBoolean("federation_allow_private", raw.federation_allow_private, false),
    },
    gossip,
    metricsBind: raw.metrics_bind === undefined ? undefined : parseBind("metrics_bind", raw.metrics_bind),
    wsSync: onOff("ws_sync", raw.ws_sync, true),
    webClient: onOff("web_client", raw.web_client, true),
  };
}

function parseGossip(raw: Record<string, unknown>, federationBind: FederationConfig["bind"]): GossipConfig {
  const mode = oneOf("gossip", raw.gossip, ["off", "alongside", "preferred"] as const, "off");
  const meshDegree = Number(raw.gossip_mesh_degree ?? 6);
  if (!Number.isInteger(meshDegree) || meshDegree < 1 || meshDegree > 50) {
    throw new ConfigError("gossip_mesh_degree", "must be an integer from 1 to 50");
  }
  const repairIntervalMs = Number(raw.gossip_repair_interval_ms ?? 10_000);
  if (!Number.isInteger(repairIntervalMs) || repairIntervalMs < 100) {
    throw new ConfigError("gossip_repair_interval_ms", "must be an integer of at least 100");
  }
  if (mode === "off") return { mode, bind: undefined, announce: [], meshDegree, repairIntervalMs };
  // Gossip carries room events between servers that already federate: records are served, missing
  // events fetched and non-Hearth servers reached over the federation listener.
  if (!federationBind) {
    throw new ConfigError("gossip", `${mode} needs the federation listener (set federation_bind)`);
  }
  if (raw.gossip_bind === undefined) {
    throw new ConfigError(
      "gossip_bind",
      `required when gossip is ${mode} (host:port of the libp2p listener)`,
    );
  }
  const bind = parseBind("gossip_bind", raw.gossip_bind);
  if (bind.host === federationBind.host && bind.port === federationBind.port && bind.port !== 0) {
    throw new ConfigError("gossip_bind", "must not be the federation listener's address");
  }
  let announce = [bind];
  if (raw.gossip_announce !== undefined) {
    const list = Array.isArray(raw.gossip_announce)
      ? raw.gossip_announce
      : String(raw.gossip_announce)
          .split(",")
          .map((a) => a.trim())
          .filter((a) => a !== "");
    announce = list.map((a) => parseBind("gossip_announce", a));
    if (announce.length === 0 || announce.length > 8) {
      throw new ConfigError("gossip_announce", "must list 1 to 8 host:port addresses");
    }
  } else if (bind.host === "0.0.0.0" || bind.host === "::" || bind.port === 0) {
    throw new ConfigError(
      "gossip_announce",
      "required when gossip_bind is a wildcard address or port 0 (the address other servers dial)",
    );
  }
  for (const a of announce) {
    if (a.port === 0 || a.host === "0.0.0.0" || a.host === "::") {
      throw new ConfigError(
        "gossip_announce",
        "must be addresses other servers can dial (no wildcard, no port 0)",
      );
    }
  }
  return { mode, bind, announce, meshDegree, repairIntervalMs };
}

/**
 * Loads the configuration from an optional YAML file and the environment. A relative `path` is, like
 * the paths in the file, resolved from {@link invocationDir}.
 */
export function loadConfig(configPath?: string, env: NodeJS.ProcessEnv = process.env): HearthConfig {
  let file: Record<string, unknown> = {};
  if (configPath) {
    const path = resolve(invocationDir(env), configPath);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new ConfigError("--config", `cannot read ${path}: ${(e as Error).message}`);
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed))
        throw new ConfigError("--config", "must be a YAML map");
      file = parsed as Record<string, unknown>;
    }
  }
  return buildConfig(file, env);
}

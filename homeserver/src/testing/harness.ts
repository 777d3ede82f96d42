/**
 * Test harness: a real server on an ephemeral port with a temporary data directory, and a small JSON
 * HTTP client. Tests talk to the server only through real HTTP.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConfig, type HearthConfig } from "../config/config.js";
import { createLogger } from "../logger.js";
import { type RunningServer, type ServerOptions, startServer } from "../server.js";

/** A test server and its data directory. */
export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly config: HearthConfig;
  /** Closes the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 with a random port; `overrides` are YAML-style config keys, `options`
 * tune what configuration does not (the WebSocket sync stream's timings).
 */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
  dataDir?: string,
  options: ServerOptions = {},
): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), "hearth-test-")));
  const config = buildConfig(
    { bind: "127.0.0.1:0", data_dir: dir, rate_limits: "off", log_level: "silent", ...overrides },
    {},
  );
  const server = await startServer(config, createLogger(config.logLevel), options);
  return {
    ...server,
    dataDir: dir,
    config,
    async destroy() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON response. */
export interface JsonResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A minimal JSON client for tests. */
export class Client {
  constructor(
    readonly baseUrl: string,
    public accessToken?: string,
  ) {}

  /** Sends a request; `body` is JSON-encoded unless it is a string (sent raw). */
  async request<T = Record<string, any>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.accessToken && !("authorization" in h)) h.authorization = `Bearer ${this.accessToken}`;
    if (body !== undefined) h["content-type"] ??= "application/json";
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, any>>(path: string) {
    return this.request<T>("GET", path);
  }
  post<T = Record<string, any>>(path: string, body: unknown = {}) {
    return this.request<T>("POST", path, body);
  }
  put<T = Record<string, any>>(path: string, body: unknown = {}) {
    return this.request<T>("PUT", path, body);
  }
  delete<T = Record<string, any>>(path: string, body?: unknown) {
    return this.request<T>("DELETE", path, body);
  }

  /** A client for the same server with another access token. */
  as(accessToken: string): Client {
    return new Client(this.baseUrl, accessToken);
  }
}

/** Registers `localpart` (open registration, dummy auth) and returns a client with its token. */
export async function registerUser(
  server: { url: string },
  localpart: string,
  password = "correct horse battery",
): Promise<Client & { userId: string; deviceId: string }> {
  const anon = new Client(server.url);
  const first = await anon.post("/_matrix/client/v3/register", { username: localpart, password });
  const session = first.body.session as string | undefined;
  const res =
    first.status === 200
      ? first
      : await anon.post("/_matrix/client/v3/register", {
          username: localpart,
          password,
          auth: { type: "m.login.dummy", ...(session ? { session } : {}) },
        });
  if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
  const client = new Client(server.url, res.body.access_token as string) as Client & {
    userId: string;
    deviceId: string;
  };
  client.userId = res.body.user_id as string;
  client.deviceId = res.body.device_id as string;
  return client;
}

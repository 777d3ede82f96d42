/**
 * Building blocks of the federation benchmarks: a cluster of Hearth processes on 127.0.0.x from the
 * multi-node test harness (`tests/federation/harness.ts`: real TLS, a test CA, server names
 * `127.0.0.H:port`), and a lean keep-alive JSON client for any loopback address (`Http` in
 * `http.ts` talks to 127.0.0.1 only; the cluster's nodes bind 127.0.0.2, 127.0.0.3, …).
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { FederationCluster, type FederationNode } from "../../tests/federation/harness.js";
import type { BenchUser } from "./fixtures.js";
import type { Reply } from "./http.js";

export { FederationCluster, type FederationNode };

/** A keep-alive connection pool to one server on a loopback address. */
export class LoopbackHttp {
  readonly agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets = 64) {
    const url = new URL(baseUrl);
    if (!url.hostname.startsWith("127."))
      throw new Error(`benchmarks only talk to loopback, not ${url.hostname}`);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends a request and reads and parses the whole JSON body. */
  send<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload) {
        headers["content-type"] = "application/json";
        headers["content-length"] = payload.length;
      }
      const req = request(
        { host: this.#host, port: this.#port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = {};
            try {
              parsed = text === "" ? {} : JSON.parse(text);
            } catch {
              parsed = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Like {@link send}, but throws unless the status is 200. */
  async ok<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<T> {
    const res = await this.send<T>(method, path, token, body);
    if (res.status !== 200)
      throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Closes every pooled socket. */
  close(): void {
    this.agent.destroy();
  }
}

const enc = encodeURIComponent;

/** Registers `username` without a password (open registration, dummy auth). */
export async function registerUser(http: LoopbackHttp, username: string): Promise<BenchUser> {
  const path = "/_matrix/client/v3/register";
  let res = await http.send("POST", path, undefined, { username, auth: { type: "m.login.dummy" } });
  if (res.status === 401) {
    res = await http.send("POST", path, undefined, {
      username,
      auth: { type: "m.login.dummy", session: res.body.session },
    });
  }
  if (res.status !== 200)
    throw new Error(`register ${username}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user_id as string, token: res.body.access_token as string };
}

/** Joins a room by ID, through `via` (a server name) when the server is not in it yet. */
export async function joinVia(
  http: LoopbackHttp,
  user: BenchUser,
  roomId: string,
  via?: string,
): Promise<void> {
  const q = via ? `?server_name=${enc(via)}` : "";
  await http.ok("POST", `/_matrix/client/v3/join/${enc(roomId)}${q}`, user.token, {});
}

/** Sends a text message; returns the event ID. */
export async function sendMessage(
  http: LoopbackHttp,
  user: BenchUser,
  roomId: string,
  body: string,
): Promise<string> {
  return (
    await http.ok(
      "PUT",
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomUUID()}`,
      user.token,
      { msgtype: "m.text", body },
    )
  ).event_id as string;
}

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 50,
) {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether `user`'s server lists exactly `count` joined members in `roomId`. */
export async function hasJoinedMembers(
  http: LoopbackHttp,
  user: BenchUser,
  roomId: string,
  count: number,
): Promise<boolean> {
  const res = await http.send<{ joined?: Record<string, unknown> }>(
    "GET",
    `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`,
    user.token,
  );
  return res.status === 200 && Object.keys(res.body.joined ?? {}).length === count;
}

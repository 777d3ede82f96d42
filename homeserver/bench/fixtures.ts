/**
 * Building blocks of the homeserver benchmarks: a Hearth process on 127.0.0.1 with a temporary data
 * directory, users, rooms and messages made through the Client-Server API, percentiles and RSS.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type HearthProcess, ProcessGroup } from "../../tests/support/process.js";
import { Http } from "./http.js";

/** A registered user. */
export interface BenchUser {
  readonly userId: string;
  readonly token: string;
}

/** A server process and a connection pool to it. */
export interface BenchServer {
  readonly proc: HearthProcess;
  readonly http: Http;
  /** Kills the process and deletes its data. */
  close(): Promise<void>;
}

/** Starts a fresh Hearth process (its own data directory, rate limits off). */
export async function startBenchServer(maxSockets = 256): Promise<BenchServer> {
  const group = new ProcessGroup();
  try {
    const proc = await group.start();
    const http = new Http(proc.url, maxSockets);
    return {
      proc,
      http,
      async close() {
        http.close();
        await proc.stop().catch(() => undefined);
        await group.cleanup();
      },
    };
  } catch (e) {
    await group.cleanup();
    throw e;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Registers `count` users `<prefix>0…` without passwords (no password hashing in the setup). */
export function registerUsers(
  http: Http,
  prefix: string,
  count: number,
  concurrency = 16,
): Promise<BenchUser[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  return pool(names, concurrency, async (username) => {
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
  });
}

const enc = encodeURIComponent;

/** Creates a room; returns its ID. */
export async function createRoom(
  http: Http,
  user: BenchUser,
  body: Record<string, unknown> = { preset: "public_chat" },
): Promise<string> {
  return (await http.ok("POST", "/_matrix/client/v3/createRoom", user.token, body)).room_id as string;
}

/** Joins a room. */
export async function joinRoom(http: Http, user: BenchUser, roomId: string): Promise<void> {
  await http.ok("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/join`, user.token, {});
}

/** Sends a text message; returns the event ID. */
export async function sendText(http: Http, user: BenchUser, roomId: string, body: string): Promise<string> {
  const txn = randomUUID();
  return (
    await http.ok("PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, user.token, {
      msgtype: "m.text",
      body,
    })
  ).event_id as string;
}

/** `GET /sync`; `filter` is sent inline. */
export function syncPath(options: { since?: string; timeout?: number; filter?: unknown } = {}): string {
  const q = new URLSearchParams();
  if (options.since) q.set("since", options.since);
  if (options.timeout !== undefined) q.set("timeout", String(options.timeout));
  if (options.filter) q.set("filter", JSON.stringify(options.filter));
  return `/_matrix/client/v3/sync?${q}`;
}

/** The `p`-th percentile (0–100) of a non-empty list, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Resident set size of a process in MB (VmRSS from /proc). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/**
 * Building blocks of the federation benchmarks: a cluster of Hearth processes on 127.0.0.x from the
 * multi-node test harness (`tests/federation/harness.ts`: real TLS, a test CA, server names
 * `127.0.0.H:port`, nodes bound on 127.0.0.2, 127.0.0.3, …), and helpers over the bench's `Http`
 * client (`http.ts`).
 */
import { randomUUID } from "node:crypto";
import { FederationCluster, type FederationNode } from "../../tests/federation/harness.js";
import type { BenchUser } from "./fixtures.js";
import type { Http } from "./http.js";

export { FederationCluster, type FederationNode };

const enc = encodeURIComponent;

/** Registers `username` without a password (open registration, dummy auth). */
export async function registerUser(http: Http, username: string): Promise<BenchUser> {
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
export async function joinVia(http: Http, user: BenchUser, roomId: string, via?: string): Promise<void> {
  const q = via ? `?server_name=${enc(via)}` : "";
  await http.ok("POST", `/_matrix/client/v3/join/${enc(roomId)}${q}`, user.token, {});
}

/** Sends a text message; returns the event ID. */
export async function sendMessage(
  http: Http,
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
  http: Http,
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

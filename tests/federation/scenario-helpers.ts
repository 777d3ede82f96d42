/**
 * Helpers shared by the multi-node scenarios: waiting for memberships, comparing room state and
 * message sets across servers, and reading `/sync` sections the basic helpers do not type.
 */
import { allMessages, type ClientEvent, expectStatus, sync, type UserClient } from "../support/matrix.js";
import { eventually } from "./harness.js";

/** `roomId` percent-encoded for a path. */
export function enc(id: string): string {
  return encodeURIComponent(id);
}

/** The joined members of a room as `client`'s server sees them (sorted), or `[HTTP status]`. */
export async function joinedMembers(client: UserClient, roomId: string): Promise<string[]> {
  const res = await client.get<{ joined: Record<string, unknown> }>(
    `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`,
  );
  return res.status === 200 ? Object.keys(res.body.joined).sort() : [`HTTP ${res.status}`];
}

/** Waits until every client's server reports exactly `members` joined. */
export async function waitForMembers(
  clients: readonly UserClient[],
  roomId: string,
  members: readonly string[],
  timeoutMs = 15_000,
): Promise<void> {
  const want = JSON.stringify([...members].sort());
  await Promise.all(
    clients.map(async (c) => {
      let seen: string[] = [];
      await eventually(
        `${c.userId}'s server to see members ${want}`,
        async () => {
          seen = await joinedMembers(c, roomId);
          return JSON.stringify(seen) === want;
        },
        timeoutMs,
        100,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last seen: ${seen.join(", ")}`);
      });
    }),
  );
}

/** The current state of a room (`GET /rooms/{roomId}/state`) as `type|state_key → event ID`, sorted. */
export async function stateMap(client: UserClient, roomId: string): Promise<Record<string, string>> {
  const events = expectStatus(
    `state of ${roomId} on ${client.userId}'s server`,
    await client.get<ClientEvent[]>(`/_matrix/client/v3/rooms/${enc(roomId)}/state`),
  );
  const entries = events.map((e) => [`${e.type}|${e.state_key ?? ""}`, e.event_id] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One state event's content (`GET /rooms/{roomId}/state/{type}/{stateKey}`), or undefined. */
export async function stateContent(
  client: UserClient,
  roomId: string,
  type: string,
  stateKey = "",
): Promise<Record<string, unknown> | undefined> {
  const res = await client.get<Record<string, unknown>>(
    `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
  );
  return res.status === 200 ? res.body : undefined;
}

/** Sends a state event; returns its ID. */
export async function putState(
  client: UserClient,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
  stateKey = "",
): Promise<string> {
  return expectStatus(
    `${client.userId} sets ${type}`,
    await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, content),
  ).event_id as string;
}

/** The sorted IDs of a room's `m.room.message` events on `client`'s server. */
export async function messageIds(client: UserClient, roomId: string): Promise<string[]> {
  return (await allMessages(client, roomId)).map((e) => e.event_id).sort();
}

/**
 * Waits until every client reports the same current state and the same message set, and returns
 * them. On timeout the error shows each server's view.
 */
export async function waitForConvergence(
  clients: readonly UserClient[],
  roomId: string,
  timeoutMs: number,
  expectMessages?: readonly string[],
): Promise<{ state: Record<string, string>; messages: string[] }> {
  let last: { state: Record<string, string>; messages: string[] }[] = [];
  try {
    return await eventually(
      "every server to report the same state and messages",
      async () => {
        last = await Promise.all(
          clients.map(async (c) => ({
            state: await stateMap(c, roomId),
            messages: await messageIds(c, roomId),
          })),
        );
        const first = JSON.stringify(last[0]);
        if (!last.every((v) => JSON.stringify(v) === first)) return undefined;
        if (
          expectMessages &&
          JSON.stringify(last[0]!.messages) !== JSON.stringify([...expectMessages].sort())
        )
          return undefined;
        return last[0];
      },
      timeoutMs,
      250,
    );
  } catch (e) {
    const views = clients.map((c, i) => `${c.userId}: ${JSON.stringify(last[i])}`).join("\n");
    throw new Error(`${(e as Error).message}\n${views}`);
  }
}

/** A `/sync` response with the sections the scenarios read untyped. */
export type LooseSync = Awaited<ReturnType<typeof sync>> & {
  presence?: { events: ClientEvent[] };
  rooms?: {
    join?: Record<string, { ephemeral?: { events: ClientEvent[] } }>;
    invite?: Record<string, { invite_state?: { events: ClientEvent[] } }>;
  };
};

/**
 * Long-polls `/sync` until `found` returns a value for some response (accumulating across
 * responses from `since`), or throws after `timeoutMs`.
 */
export async function syncUntil<T>(
  client: UserClient,
  what: string,
  found: (res: LooseSync) => T | undefined,
  timeoutMs = 10_000,
  since?: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const res = (await sync(client, { ...(token ? { since: token } : {}), timeout: 1_000 })) as LooseSync;
    const value = found(res);
    if (value !== undefined) return value;
    token = res.next_batch;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (sync)`);
  }
}

/**
 * Small Client-Server API helpers over the harness's JSON client, for the process-level tests.
 */
import { Client, type JsonResponse } from "../../homeserver/src/testing/harness.js";

export { Client };

/** A client that knows its user and device. */
export type UserClient = Client & { userId: string; deviceId: string };

/** A client event as `/sync` and `/messages` return it. */
export interface ClientEvent {
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly content: Record<string, unknown>;
  readonly state_key?: string;
  readonly origin_server_ts: number;
  readonly unsigned?: Record<string, unknown>;
}

/** The parts of a `/sync` response the tests read. */
export interface SyncResponse {
  readonly next_batch: string;
  readonly rooms?: {
    readonly join?: Record<
      string,
      {
        timeline?: { events: ClientEvent[]; limited?: boolean; prev_batch?: string };
        state?: { events: ClientEvent[] };
      }
    >;
    readonly invite?: Record<string, unknown>;
    readonly leave?: Record<string, unknown>;
  };
}

/** Throws with the request and response when the status is not `expected`. */
export function expectStatus<T>(what: string, res: JsonResponse<T>, expected = 200): T {
  if (res.status !== expected) {
    throw new Error(`${what}: expected HTTP ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Registers `localpart` with a password (open registration; dummy auth after the 401 if needed). */
export async function register(baseUrl: string, localpart: string, password: string): Promise<UserClient> {
  const anon = new Client(baseUrl);
  const first = await anon.post("/_matrix/client/v3/register", {
    username: localpart,
    password,
    auth: { type: "m.login.dummy" },
  });
  let res = first;
  if (first.status === 401) {
    res = await anon.post("/_matrix/client/v3/register", {
      username: localpart,
      password,
      auth: { type: "m.login.dummy", session: first.body.session },
    });
  }
  const body = expectStatus(`register ${localpart}`, res);
  const client = new Client(baseUrl, body.access_token as string) as UserClient;
  client.userId = body.user_id as string;
  client.deviceId = body.device_id as string;
  return client;
}

/** Logs in with a password (`m.login.password`, user identifier). */
export async function login(baseUrl: string, localpart: string, password: string): Promise<UserClient> {
  const res = await new Client(baseUrl).post("/_matrix/client/v3/login", {
    type: "m.login.password",
    identifier: { type: "m.id.user", user: localpart },
    password,
  });
  const body = expectStatus(`login ${localpart}`, res);
  const client = new Client(baseUrl, body.access_token as string) as UserClient;
  client.userId = body.user_id as string;
  client.deviceId = body.device_id as string;
  return client;
}

/** Creates a room and returns its ID. */
export async function createRoom(client: Client, body: Record<string, unknown> = {}): Promise<string> {
  return expectStatus("createRoom", await client.post("/_matrix/client/v3/createRoom", body))
    .room_id as string;
}

/** Joins a room by ID. */
export async function joinRoom(client: Client, roomId: string): Promise<void> {
  expectStatus("join", await client.post(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, {}));
}

/** Sends an `m.room.message` with `body`; returns the event ID. */
export async function sendText(client: Client, roomId: string, body: string, txnId: string): Promise<string> {
  const res = await client.put(
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`,
    { msgtype: "m.text", body },
  );
  return expectStatus(`send ${body}`, res).event_id as string;
}

/** `GET /sync` with an inline filter; `timeout` in milliseconds. */
export async function sync(
  client: Client,
  options: { since?: string; timeout?: number; filter?: Record<string, unknown> } = {},
): Promise<SyncResponse> {
  const q = new URLSearchParams();
  if (options.since) q.set("since", options.since);
  q.set("timeout", String(options.timeout ?? 0));
  if (options.filter) q.set("filter", JSON.stringify(options.filter));
  return expectStatus("sync", await client.get<SyncResponse>(`/_matrix/client/v3/sync?${q}`));
}

/** The timeline events of `roomId` in a sync response. */
export function timelineOf(res: SyncResponse, roomId: string): ClientEvent[] {
  return res.rooms?.join?.[roomId]?.timeline?.events ?? [];
}

/**
 * Every `m.room.message` of a room, oldest first, by paginating `/messages` backwards from the end
 * of the timeline.
 */
export async function allMessages(client: Client, roomId: string, pageSize = 100): Promise<ClientEvent[]> {
  const out: ClientEvent[] = [];
  let from: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const q = new URLSearchParams({ dir: "b", limit: String(pageSize) });
    if (from) q.set("from", from);
    const body = expectStatus(
      "messages",
      await client.get<{ chunk: ClientEvent[]; end?: string }>(
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`,
      ),
    );
    for (const ev of body.chunk) if (ev.type === "m.room.message") out.push(ev);
    if (!body.end || body.chunk.length === 0) break;
    from = body.end;
  }
  return out.reverse();
}

/** Helpers for the read-path HTTP tests. */
import type { Client } from "../../testing/harness.js";

/** A registered test user. */
export type User = Client & { userId: string; deviceId: string };

const enc = encodeURIComponent;

/** Creates a room and returns its ID (throws on failure). */
export async function createRoom(client: Client, body: Record<string, unknown> = {}): Promise<string> {
  const res = await client.post("/_matrix/client/v3/createRoom", body);
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id as string;
}

let txn = 0;

/** Sends an `m.room.message` (or `type`) and returns its event ID. */
export async function send(
  client: Client,
  roomId: string,
  body: string | Record<string, unknown>,
  type = "m.room.message",
): Promise<string> {
  const content = typeof body === "string" ? { msgtype: "m.text", body } : body;
  const res = await client.put(
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/t${++txn}`,
    content,
  );
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

/** Sets a state event and returns its event ID. */
export async function setState(
  client: Client,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
  stateKey = "",
): Promise<string> {
  const res = await client.put(
    `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
    content,
  );
  if (res.status !== 200) throw new Error(`state: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

/** Joins a room (throws on failure). */
export async function join(client: Client, roomId: string): Promise<void> {
  const res = await client.post(`/_matrix/client/v3/join/${enc(roomId)}`);
  if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Invites a user (throws on failure). */
export async function invite(client: Client, roomId: string, userId: string): Promise<void> {
  const res = await client.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId });
  if (res.status !== 200) throw new Error(`invite: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Leaves a room (throws on failure). */
export async function leave(client: Client, roomId: string): Promise<void> {
  const res = await client.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`);
  if (res.status !== 200) throw new Error(`leave: ${res.status} ${JSON.stringify(res.body)}`);
}

/** `GET /sync` with query parameters; throws unless 200. */
export async function sync(
  client: Client,
  params: Record<string, string | number | boolean> = {},
  // biome-ignore lint/suspicious/noExplicitAny: response JSON, asserted on by tests
): Promise<any> {
  const q = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  const res = await client.get(`/_matrix/client/v3/sync${q ? `?${q}` : ""}`);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** `GET /rooms/{roomId}/messages` with query parameters. */
export function messages(client: Client, roomId: string, params: Record<string, string | number> = {}) {
  const q = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages${q ? `?${q}` : ""}`);
}

/** Message bodies of client events, in order. */
// biome-ignore lint/suspicious/noExplicitAny: client events from response JSON
export function bodies(events: any[]): string[] {
  return events.filter((e) => e.type === "m.room.message").map((e) => e.content.body as string);
}

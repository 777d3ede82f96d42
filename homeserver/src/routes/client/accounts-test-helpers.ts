/**
 * Helpers for the account routes' HTTP tests: register and log in through the real endpoints.
 */
import type { Client } from "../../testing/harness.js";

/** A registered, logged-in user. */
export interface TestUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly password: string;
}

/** Registers `username` through the dummy UIA flow of open registration (two requests, as clients do). */
export async function registerUser(
  client: Client,
  username: string,
  password = "correct horse battery staple",
  extra: Record<string, unknown> = {},
): Promise<TestUser> {
  const first = await client.post("/_matrix/client/v3/register", { username, password, ...extra });
  if (first.status !== 401)
    throw new Error(`expected a UIA challenge, got ${first.status} ${JSON.stringify(first.body)}`);
  const res = await client.post("/_matrix/client/v3/register", {
    username,
    password,
    ...extra,
    auth: { type: "m.login.dummy", session: first.body.session },
  });
  if (res.status !== 200) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    userId: res.body.user_id,
    accessToken: res.body.access_token,
    deviceId: res.body.device_id,
    password,
  };
}

/** Logs in with a password; returns the raw response. */
export function login(client: Client, user: string, password: string, extra: Record<string, unknown> = {}) {
  return client.post("/_matrix/client/v3/login", {
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
    ...extra,
  });
}

/** The `auth` dict of an `m.login.password` UIA stage. */
export function passwordAuth(userId: string, password: string, session?: string): Record<string, unknown> {
  return {
    type: "m.login.password",
    identifier: { type: "m.id.user", user: userId },
    password,
    ...(session !== undefined ? { session } : {}),
  };
}

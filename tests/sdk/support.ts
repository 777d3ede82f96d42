/**
 * Helpers for the SDK's process-level tests: clients with quick reconnection, and a record of what
 * each client saw (timeline emissions and the raw events of every sync response).
 */
import type { ClientOptions, MatrixClient } from "../../client-sdk/src/index.js";
import { createNodeClient } from "../../client-sdk/src/node/index.js";

/** What one client observed. */
export interface Observer {
  /** `m.room.message` bodies in the order the client emitted `timeline` for them. */
  readonly bodies: string[];
  /** Every event ID in every sync response (any section), with repeats if the server repeated one. */
  readonly syncedEventIds: string[];
  /** Transports that delivered syncs, in order of first use. */
  readonly transports: Set<string>;
  online: number;
  offline: number;
}

/** A Node client for tests: reconnects within ~0.5 s, persists often. */
export function testClient(baseUrl: string, options: Partial<ClientOptions> & { storePath?: string } = {}) {
  return createNodeClient({
    baseUrl,
    reconnect: { initialMs: 50, maxMs: 400 },
    persistIntervalMs: 20,
    requestTimeoutMs: 10_000,
    ...options,
  });
}

/** Records what `client` emits from now on. */
export function observe(client: MatrixClient, roomId?: string): Observer {
  const o: Observer = { bodies: [], syncedEventIds: [], transports: new Set(), online: 0, offline: 0 };
  client.on("timeline", (event, rid) => {
    if (event.type === "m.room.message" && (!roomId || rid === roomId))
      o.bodies.push(event.content.body as string);
  });
  client.on("sync", (response, transport) => {
    o.transports.add(transport);
    for (const section of Object.values(response.rooms?.join ?? {}))
      for (const ev of section.timeline?.events ?? []) o.syncedEventIds.push(ev.event_id);
  });
  client.on("online", () => o.online++);
  client.on("offline", () => o.offline++);
  return o;
}

/** Waits until `check()` holds, polling every 10 ms; throws with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many times each value occurs. */
export function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** The values that occur more than once. */
export function repeated(values: readonly string[]): string[] {
  return [...counts(values)].filter(([, n]) => n > 1).map(([v]) => v);
}

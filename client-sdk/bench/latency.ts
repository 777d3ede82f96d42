/**
 * Send → receive latency between two SDK clients, over the WebSocket sync stream and over `/sync`
 * long-polling, against one Hearth process on 127.0.0.1: alice sends 1 000 messages one after
 * another (each once bob has the previous one); the latency runs from just before `sendText` to
 * bob's `timeline` event for it. Reported as p50 and p99 per transport.
 */
import { ProcessGroup } from "../../tests/support/process.js";
import type { MatrixClient } from "../src/index.js";
import { createNodeClient } from "../src/node/index.js";

/** The figures of one run. */
export interface LatencyRun {
  readonly p50: number;
  readonly p99: number;
}

/** The `p`th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Two clients in one room on one server, for one transport. */
export interface Pair {
  measure(messages: number): Promise<LatencyRun>;
  close(): Promise<void>;
}

let users = 0;

/** Registers alice and bob, puts them in a room and starts both on `transport`. */
export async function pair(url: string, transport: "websocket" | "long-poll"): Promise<Pair> {
  const make = () => createNodeClient({ baseUrl: url, syncTransport: transport, persistIntervalMs: 5_000 });
  const alice = make();
  const bob = make();
  const n = users++;
  await alice.register({ username: `bench-alice-${n}`, password: "bench-password" });
  await bob.register({ username: `bench-bob-${n}`, password: "bench-password" });
  await Promise.all([alice.start(), bob.start()]);
  for (const c of [alice, bob])
    if (c.syncTransport !== transport) throw new Error(`wanted ${transport}, got ${c.syncTransport}`);
  const roomId = await alice.createRoom({ name: `latency ${transport}`, invite: [bob.userId!] });
  await bob.waitFor(() => bob.room(roomId)?.membership === "invite");
  await bob.joinRoom(roomId);

  const waiting = new Map<string, () => void>();
  bob.on("timeline", (event, rid) => {
    if (rid === roomId) waiting.get(event.content.body as string)?.();
  });
  let seq = 0;
  const one = async (client: MatrixClient): Promise<number> => {
    const body = `${transport} ${seq++}`;
    const arrived = new Promise<number>((resolve) => waiting.set(body, () => resolve(performance.now())));
    const t0 = performance.now();
    await client.sendText(roomId, body);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`"${body}" not delivered in 10 s`)), 10_000);
    });
    try {
      return (await Promise.race([arrived, timeout])) - t0;
    } finally {
      clearTimeout(timer);
      waiting.delete(body);
    }
  };
  return {
    async measure(messages) {
      const latencies: number[] = [];
      for (let i = 0; i < messages; i++) latencies.push(await one(alice));
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    },
    async close() {
      await Promise.all([alice.stop(), bob.stop()]);
    },
  };
}

/** Starts a Hearth process (stream on, rate limits off) and returns its URL and a way to stop it. */
export async function benchServer(): Promise<{ url: string; close(): Promise<void> }> {
  const group = new ProcessGroup();
  const proc = await group.start({ env: { HEARTH_LOG_LEVEL: "error" } });
  return {
    url: proc.url,
    async close() {
      await proc.kill();
      await group.cleanup();
    },
  };
}

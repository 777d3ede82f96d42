/**
 * (b) Send → delivery latency: 100 users in 10 rooms (10 per room) each long-poll `/sync`; a sender
 * sends to one room at a time; the latency is from the start of the send request to the moment each
 * of the room's 10 clients has the event from its `/sync` response.
 */
import {
  createRoom,
  joinRoom,
  percentile,
  pool,
  registerUsers,
  sendText,
  startBenchServer,
} from "./fixtures.js";
import { initialSync, SyncPoller } from "./pollers.js";
import type { Scenario } from "./scenario.js";

const ROOMS = 10;
const CLIENTS = 100;
const MESSAGES_PER_RUN = 100;

/** The scenario. */
export const deliveryScenario: Scenario = {
  name: "delivery to long-polls",
  runs: 3,
  figures: {
    p50: { name: "send → /sync delivery p50, 100 clients in 10 rooms", unit: "ms" },
    p99: {
      name: "send → /sync delivery p99, 100 clients in 10 rooms",
      unit: "ms",
      target: { op: "<", value: 25 },
    },
  },
  async setup() {
    const server = await startBenchServer(CLIENTS + 64);
    const { http } = server;
    const [sender, ...clients] = await registerUsers(http, "deliv", CLIENTS + 1);
    const rooms = await Promise.all(Array.from({ length: ROOMS }, () => createRoom(http, sender!)));
    await pool(clients, 16, (u, i) => joinRoom(http, u, rooms[i % ROOMS]!));
    const tokens = await pool(clients, 16, (u) => initialSync(http, u));

    /** body → the arrivals still awaited for it. */
    const awaited = new Map<
      string,
      { t0: number; latencies: number[]; remaining: number; resolve: () => void }
    >();
    const onEvent = (ev: { content: Record<string, unknown> }, _room: string, at: number) => {
      const w = awaited.get(ev.content.body as string);
      if (!w) return;
      w.latencies.push(at - w.t0);
      if (--w.remaining === 0) w.resolve();
    };
    const pollers = clients.map((u, i) => new SyncPoller(http, u, tokens[i]!, 30_000, onEvent));
    // Let every poll reach the server before the first send.
    await new Promise((r) => setTimeout(r, 1_000));
    let seq = 0;
    /** Sends `count` messages one after another; returns every client's delivery latency. */
    const deliver = async (count: number): Promise<number[]> => {
      const latencies: number[] = [];
      for (let k = 0; k < count; k++) {
        const body = `delivery ${seq++}`;
        const arrived = new Promise<void>((resolve) => {
          awaited.set(body, { t0: performance.now(), latencies, remaining: CLIENTS / ROOMS, resolve });
        });
        await sendText(http, sender!, rooms[k % ROOMS]!, body);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`"${body}" not delivered to every client in 10 s`)),
            10_000,
          );
        });
        try {
          await Promise.race([arrived, timeout]);
        } finally {
          clearTimeout(timer);
          awaited.delete(body);
        }
      }
      return latencies;
    };
    // Warm-up (the JIT, the sync code paths), not measured.
    await deliver(MESSAGES_PER_RUN);
    return {
      async measure() {
        const latencies = await deliver(MESSAGES_PER_RUN);
        return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
      },
      async close() {
        for (const p of pollers) p.stop();
        await server.close();
        await Promise.allSettled(pollers.map((p) => p.done));
      },
    };
  },
};

/**
 * (a) Durable sends: throughput with 10 concurrent senders (each in its own room, then all in one
 * room), and the latency of sequential sends by one sender. Every 200 is an event synced to disk.
 */
import {
  type BenchUser,
  createRoom,
  joinRoom,
  percentile,
  registerUsers,
  sendText,
  startBenchServer,
} from "./fixtures.js";
import type { Http } from "./http.js";
import type { Scenario } from "./scenario.js";

const SENDERS = 10;
const THROUGHPUT_MS = 2_000;
const SEQUENTIAL_SENDS = 400;

/** Sends as fast as each sender can for `ms`; returns sends per second. */
async function throughput(
  http: Http,
  senders: readonly BenchUser[],
  rooms: readonly string[],
  ms: number,
): Promise<number> {
  const end = performance.now() + ms;
  const start = performance.now();
  let count = 0;
  await Promise.all(
    senders.map(async (user, i) => {
      while (performance.now() < end) {
        await sendText(http, user, rooms[i % rooms.length]!, "throughput");
        count++;
      }
    }),
  );
  return (count / (performance.now() - start)) * 1000;
}

/** The scenario. */
export const sendScenario: Scenario = {
  name: "durable sends",
  runs: 5,
  figures: {
    own: {
      name: "send throughput, 10 senders, own rooms",
      unit: "sends/s",
      target: { op: ">=", value: 1000 },
    },
    shared: {
      name: "send throughput, 10 senders, one room",
      unit: "sends/s",
      target: { op: ">=", value: 1000 },
    },
    p50: { name: "sequential send latency p50", unit: "ms" },
    p99: { name: "sequential send latency p99", unit: "ms", target: { op: "<", value: 20 } },
  },
  async setup() {
    const server = await startBenchServer();
    const { http } = server;
    const users = await registerUsers(http, "sender", SENDERS);
    const own = await Promise.all(users.map((u) => createRoom(http, u)));
    const shared = await createRoom(http, users[0]!);
    for (const u of users.slice(1)) await joinRoom(http, u, shared);
    // Warm-up: the JIT, LevelDB's files and caches.
    await throughput(http, users, own, 1_000);
    return {
      async measure() {
        const ownRate = await throughput(http, users, own, THROUGHPUT_MS);
        const sharedRate = await throughput(http, users, [shared], THROUGHPUT_MS);
        const latencies: number[] = [];
        for (let i = 0; i < SEQUENTIAL_SENDS; i++) {
          const t0 = performance.now();
          await sendText(http, users[0]!, own[0]!, `sequential ${i}`);
          latencies.push(performance.now() - t0);
        }
        return {
          own: ownRate,
          shared: sharedRate,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
        };
      },
      close: () => server.close(),
    };
  },
};

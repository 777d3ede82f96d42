/**
 * Federated delivery latency: three Hearth processes on 127.0.0.2–4 (the multi-node harness: real
 * TLS, a test CA); Alice on hs1 sends into a room Bob (hs2) and Carol (hs3) have joined, paced at
 * 50 messages/s (one every 20 ms, not waiting for the previous send); Bob and Carol each long-poll
 * `/sync` on their own server. The latency is from the start of the send request on hs1 to the
 * moment the event arrives in the remote client's `/sync` response (hs1 → transaction → pipeline →
 * notifier → sync), over both readers.
 */

import {
  FederationCluster,
  hasJoinedMembers,
  joinVia,
  registerUser,
  sendMessage,
  waitFor,
} from "./federation-fixtures.js";
import { percentile } from "./fixtures.js";
import { Http } from "./http.js";
import type { Scenario } from "./scenario.js";

const RATE_PER_SECOND = 50;
const MESSAGES_PER_RUN = 250;
const WARM_UP_MESSAGES = 100;
/** A timeline long enough that a poll never comes back `limited` at this rate. */
const FILTER = JSON.stringify({ room: { timeline: { limit: 200 }, state: { lazy_load_members: true } } });

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: { content: Record<string, unknown> }[] } }> };
}

/** The scenario. */
export const federationDeliveryScenario: Scenario = {
  name: "federation delivery",
  runs: 3,
  figures: {
    p50: { name: "federated send hs1 → /sync on hs2+hs3 p50, 50 msg/s", unit: "ms" },
    p99: {
      name: "federated send hs1 → /sync on hs2+hs3 p99, 50 msg/s",
      unit: "ms",
      target: { op: "<", value: 50 },
    },
  },
  async setup() {
    const cluster = new FederationCluster({ nodes: 3, env: { HEARTH_LOG_LEVEL: "warn" } });
    const https: Http[] = [];
    let active = true;
    let loopError: Error | undefined;
    const loops: Promise<void>[] = [];
    const close = async () => {
      active = false;
      for (const h of https) h.close();
      await Promise.allSettled(loops);
      await cluster.cleanup();
    };
    try {
      await cluster.start();
      const [n1, n2, n3] = [cluster.node(1), cluster.node(2), cluster.node(3)];
      const [h1, h2, h3] = [n1, n2, n3].map((n) => new Http(n.url));
      https.push(h1!, h2!, h3!);
      const alice = await registerUser(h1!, "alice");
      const bob = await registerUser(h2!, "bob");
      const carol = await registerUser(h3!, "carol");
      const roomId = (
        await h1!.ok("POST", "/_matrix/client/v3/createRoom", alice.token, { preset: "public_chat" })
      ).room_id as string;
      await joinVia(h2!, bob, roomId, n1.name);
      await joinVia(h3!, carol, roomId, n1.name);
      for (const [h, u] of [
        [h1!, alice],
        [h2!, bob],
        [h3!, carol],
      ] as const) {
        await waitFor("every server to see three members", () => hasJoinedMembers(h, u, roomId, 3));
      }

      /** body → send start; arrivals recorded per run. */
      const started = new Map<string, number>();
      let latencies: number[] = [];
      let arrivals = 0;
      const readers = [
        [h2!, bob],
        [h3!, carol],
      ] as const;
      for (const [h, u] of readers) {
        const first = await h.ok<SyncBody>(
          "GET",
          `/_matrix/client/v3/sync?filter=${encodeURIComponent(FILTER)}`,
          u.token,
        );
        let since = first.next_batch;
        loops.push(
          (async () => {
            while (active) {
              let body: SyncBody;
              try {
                body = await h.ok<SyncBody>(
                  "GET",
                  `/_matrix/client/v3/sync?since=${encodeURIComponent(since)}&timeout=30000&filter=${encodeURIComponent(FILTER)}`,
                  u.token,
                );
              } catch (e) {
                if (!active) return;
                throw e;
              }
              const at = performance.now();
              since = body.next_batch;
              for (const ev of body.rooms?.join?.[roomId]?.timeline?.events ?? []) {
                const t0 = started.get(ev.content.body as string);
                if (t0 === undefined) continue;
                latencies.push(at - t0);
                arrivals++;
              }
            }
          })().catch((e: Error) => {
            loopError = e;
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 500));
      let seq = 0;
      /** Sends `count` messages paced at the rate; resolves when every reader has them all. */
      const run = async (count: number): Promise<number[]> => {
        latencies = [];
        arrivals = 0;
        const sends: Promise<string>[] = [];
        const t0 = performance.now();
        for (let k = 0; k < count; k++) {
          const due = t0 + (k * 1000) / RATE_PER_SECOND;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const body = `fed ${seq++}`;
          started.set(body, performance.now());
          sends.push(sendMessage(h1!, alice, roomId, body));
        }
        await Promise.all(sends);
        await waitFor(
          `all ${count} messages on hs2 and hs3 (${arrivals} of ${count * readers.length} arrived)`,
          async () => {
            if (loopError) throw loopError;
            return arrivals >= count * readers.length;
          },
          20_000,
          10,
        );
        started.clear();
        return latencies;
      };
      await run(WARM_UP_MESSAGES);
      return {
        async measure() {
          const l = await run(MESSAGES_PER_RUN);
          return { p50: percentile(l, 50), p99: percentile(l, 99) };
        },
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  },
};

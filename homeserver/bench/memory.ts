/**
 * (c) Server memory with 1 000 idle long-polling clients: 1 000 users in 10 rooms of 100, each with
 * a `/sync` long-poll outstanding; the server runs as its own process and its RSS (VmRSS) is read
 * from /proc.
 */
import { createRoom, joinRoom, pool, registerUsers, rssMb, startBenchServer } from "./fixtures.js";
import { catchUp, initialSync, SyncPoller } from "./pollers.js";
import type { Scenario } from "./scenario.js";

const CLIENTS = 1_000;
const ROOMS = 10;

/** The scenario. */
export const memoryScenario: Scenario = {
  name: "idle long-polls",
  runs: 3,
  figures: {
    fresh: { name: "server RSS, just started", unit: "MB" },
    idle: { name: "server RSS, 1 000 users set up, no polls", unit: "MB" },
    polling: {
      name: "server RSS, 1 000 idle long-polling clients",
      unit: "MB",
      target: { op: "<", value: 250 },
    },
    perClient: { name: "RSS per long-polling client", unit: "KB" },
  },
  async setup() {
    const server = await startBenchServer(CLIENTS + 64);
    const { http, proc } = server;
    await new Promise((r) => setTimeout(r, 1_000));
    const fresh = await rssMb(proc.pid!);
    const users = await registerUsers(http, "idle", CLIENTS);
    const rooms = await Promise.all(Array.from({ length: ROOMS }, (_, r) => createRoom(http, users[r]!)));
    await pool(users.slice(ROOMS), 16, (u, i) => joinRoom(http, u, rooms[(i + ROOMS) % ROOMS]!));
    const initial = await pool(users, 16, (u) => initialSync(http, u));
    // Syncing makes every user online: one more pass picks up those presence updates, so the
    // long-polls below start with nothing new and stay idle.
    const tokens = await pool(users, 16, (u, i) => catchUp(http, u, initial[i]!));
    await new Promise((r) => setTimeout(r, 1_000));
    const idle = await rssMb(proc.pid!);
    const pollers = users.map((u, i) => new SyncPoller(http, u, tokens[i]!, 60_000));
    // Every poll is written and waiting once the agent holds 1 000 sockets; then let the server settle.
    const deadline = Date.now() + 30_000;
    const sockets = () => Object.values(http.agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
    while (sockets() < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (sockets() < CLIENTS) throw new Error(`only ${sockets()} of ${CLIENTS} long-polls connected`);
    await new Promise((r) => setTimeout(r, 2_000));
    return {
      async measure() {
        await new Promise((r) => setTimeout(r, 1_000));
        const polling = await rssMb(proc.pid!);
        if (pollers.some((p) => p.responses > 0)) throw new Error("an idle long-poll returned early");
        return { fresh, idle, polling, perClient: ((polling - idle) * 1024) / CLIENTS };
      },
      async close() {
        for (const p of pollers) p.stop();
        await server.close();
        await Promise.allSettled(pollers.map((p) => p.done));
      },
    };
  },
};

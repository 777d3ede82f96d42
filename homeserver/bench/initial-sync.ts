/**
 * (d) Initial sync of a user in 100 rooms of 100 members with 50 messages each: the time from the
 * request to the last byte of the response (not the client's JSON parse). The data is built through
 * the Client-Server API of a server process.
 */
import {
  type BenchUser,
  createRoom,
  joinRoom,
  pool,
  registerUsers,
  sendText,
  startBenchServer,
  syncPath,
} from "./fixtures.js";
import type { Http } from "./http.js";
import { progress, type Scenario } from "./scenario.js";

const ROOMS = 100;
const MEMBERS = 100;
const MESSAGES = 50;

/** Times one request to its last byte; returns milliseconds and the raw body. */
async function timed(http: Http, path: string, user: BenchUser): Promise<{ ms: number; rooms: number }> {
  const t0 = performance.now();
  const res = await http.send<{ rooms?: { join?: Record<string, unknown> } }>("GET", path, user.token);
  const ms = performance.now() - t0;
  if (res.status !== 200)
    throw new Error(`initial sync: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return { ms, rooms: Object.keys(res.body.rooms?.join ?? {}).length };
}

/** The scenario. */
export const initialSyncScenario: Scenario = {
  name: "initial sync",
  runs: 5,
  figures: {
    full: {
      name: "initial sync, 100 rooms × 100 members × 50 messages",
      unit: "ms",
      target: { op: "<", value: 1000 },
    },
    lazy: { name: "initial sync, same, lazy-loaded members", unit: "ms" },
  },
  async setup() {
    const server = await startBenchServer();
    const { http } = server;
    const users = await registerUsers(http, "member", MEMBERS);
    const owner = users[0]!;
    const rooms = await pool(Array.from({ length: ROOMS }), 8, () => createRoom(http, owner));
    // Joins in user-major order, so the joins in flight are in different rooms.
    const joins = users.slice(1).flatMap((u) => rooms.map((r) => [u, r] as const));
    await pool(joins, 32, ([u, r]) => joinRoom(http, u, r));
    progress(`initial sync: ${joins.length} joins done`);
    const sends = Array.from(
      { length: ROOMS * MESSAGES },
      (_, i) => [users[i % MEMBERS]!, rooms[i % ROOMS]!, i] as const,
    );
    await pool(sends, 32, ([u, r, i]) => sendText(http, u, r, `message ${i} with some ordinary text in it`));
    progress(`initial sync: ${sends.length} messages sent`);
    const reader = users[MEMBERS - 1]!;
    return {
      async measure() {
        const full = await timed(http, syncPath(), reader);
        const lazy = await timed(
          http,
          syncPath({ filter: { room: { state: { lazy_load_members: true } } } }),
          reader,
        );
        if (full.rooms !== ROOMS || lazy.rooms !== ROOMS)
          throw new Error(`initial sync returned ${full.rooms}/${lazy.rooms} of ${ROOMS} rooms`);
        return { full: full.ms, lazy: lazy.ms };
      },
      close: () => server.close(),
    };
  },
};

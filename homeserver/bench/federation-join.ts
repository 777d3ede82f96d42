/**
 * Joining a large room over federation (opt-in: `npm run bench -- join`; the setup takes a minute or
 * more). hs1 (127.0.0.2) holds a public room of 2 000 joined members and 5 000 state events (the
 * members, 3 000 custom state events, the creation state), built through hs1's Client-Server API
 * with concurrent requests. Each run, a server that was never in the room (hs2, hs3, hs4: one per
 * run, since a server joins only once) has a new user join through hs1, and the run measures
 *  - join: from the `POST /join` request to its 200 (make_join, send_join, the returned state and
 *    auth chain checked and persisted);
 *  - first sync: from the same start to the end of the first initial `/sync` (no lazy loading) that
 *    shows every member joined (the 2 000, the joiner and the earlier runs' joiners).
 */

import {
  FederationCluster,
  hasJoinedMembers,
  joinVia,
  registerUser,
  waitFor,
} from "./federation-fixtures.js";
import { pool } from "./fixtures.js";
import { Http } from "./http.js";
import { progress, type Scenario } from "./scenario.js";

const MEMBERS = 2_000;
const STATE_EVENTS = 5_000;
const RUNS = 3;
const CONCURRENCY = 32;

interface SyncBody {
  rooms?: {
    join?: Record<
      string,
      {
        state?: { events?: { type: string; state_key?: string; content: { membership?: string } }[] };
        timeline?: { events?: { type: string; state_key?: string; content: { membership?: string } }[] };
      }
    >;
  };
}

/** Joined members of `roomId` in an initial sync response (state plus timeline). */
function joinedInSync(body: SyncBody, roomId: string): number {
  const room = body.rooms?.join?.[roomId];
  const joined = new Set<string>();
  for (const ev of [...(room?.state?.events ?? []), ...(room?.timeline?.events ?? [])]) {
    if (ev.type !== "m.room.member" || ev.state_key === undefined) continue;
    if (ev.content.membership === "join") joined.add(ev.state_key);
    else joined.delete(ev.state_key);
  }
  return joined.size;
}

/** The scenario. */
export const federationJoinScenario: Scenario = {
  name: "federation join of a large room",
  runs: RUNS,
  figures: {
    join: { name: "join a 2k-member, 5k-state room over federation (→ 200)", unit: "ms" },
    sync: {
      name: "join → first /sync with all 2k members",
      unit: "ms",
      target: { op: "<", value: 5_000 },
    },
  },
  async setup() {
    const cluster = new FederationCluster({ nodes: 1 + RUNS, env: { HEARTH_LOG_LEVEL: "warn" } });
    const https: Http[] = [];
    const close = async () => {
      for (const h of https) h.close();
      await cluster.cleanup();
    };
    try {
      await cluster.start();
      const hs1 = cluster.node(1);
      const h1 = new Http(hs1.url, CONCURRENCY * 2);
      https.push(h1);
      const t0 = performance.now();
      const owner = await registerUser(h1, "owner");
      const roomId = (
        await h1.ok("POST", "/_matrix/client/v3/createRoom", owner.token, {
          preset: "public_chat",
          // Room creation state: create, owner's member, power levels, join rules, history
          // visibility (the public_chat preset adds guest access).
        })
      ).room_id as string;
      const names = Array.from({ length: MEMBERS - 1 }, (_, i) => `m${i}`);
      await pool(names, CONCURRENCY, async (name) => {
        const u = await registerUser(h1, name);
        await joinVia(h1, u, roomId);
      });
      progress(`join: ${MEMBERS} members in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const stateRes = await h1.ok<unknown[]>(
        "GET",
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
        owner.token,
      );
      const extra = Math.max(0, STATE_EVENTS - stateRes.length);
      await pool(
        Array.from({ length: extra }, (_, i) => i),
        CONCURRENCY,
        (i) =>
          h1.ok(
            "PUT",
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.hearth.bench.state/k${i}`,
            owner.token,
            { value: i, padding: "x".repeat(64) },
          ),
      );
      const total = (
        await h1.ok<unknown[]>(
          "GET",
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
          owner.token,
        )
      ).length;
      progress(`join: ${total} state events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (total < STATE_EVENTS) throw new Error(`the room has ${total} state events, not ${STATE_EVENTS}`);

      /** Servers that have joined so far (each run's joiner is on a new one). */
      let joiners = 0;
      return {
        async measure() {
          const node = cluster.node(2 + joiners++);
          const expected = MEMBERS + joiners;
          const h = new Http(node.url, 8);
          https.push(h);
          const joiner = await registerUser(h, "joiner");
          const started = performance.now();
          await joinVia(h, joiner, roomId, hs1.name);
          const joined = performance.now() - started;
          let last = 0;
          await waitFor(
            `an initial sync on ${node.name} with ${expected} members`,
            async () => {
              const body = await h.ok<SyncBody>(
                "GET",
                `/_matrix/client/v3/sync?filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 10 } } }))}`,
                joiner.token,
              );
              last = joinedInSync(body, roomId);
              return last === expected;
            },
            60_000,
            20,
          ).catch((e: Error) => {
            throw new Error(`${e.message} (last sync showed ${last})`);
          });
          const synced = performance.now() - started;
          await waitFor("hs1 to count the joiner", () => hasJoinedMembers(h1, owner, roomId, expected));
          return { join: joined, sync: synced };
        },
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  },
};

/**
 * Server memory per idle WebSocket sync stream (`specs/websocket-sync.md`): 10 000 users in 100 rooms
 * of 100, each holding one authenticated stream that has had its first frame and waits. Each run starts
 * the Hearth process afresh on the same data and reads its RSS (VmRSS) three times: cold; after every
 * user has synced once over `/sync` (what any client does first, and what the long-poll memory bench
 * does before it measures); and with the 10 000 streams open and idle. (with − synced) / 10 000 is the
 * cost of one idle stream, target ≤ 20 KB; (with − cold) / 10 000 adds what serving each user's first
 * sync leaves behind (caches, heap growth, the allocator's arenas), whatever the transport.
 */
import { execFileSync } from "node:child_process";
import WebSocket from "ws";
import {
  type BenchServer,
  type BenchUser,
  createRoom,
  joinRoom,
  pool,
  registerUsers,
  rssMb,
  startBenchServer,
  syncPath,
} from "./fixtures.js";
import { progress, type Scenario } from "./scenario.js";

const STREAMS = 10_000;
const ROOMS = 100;
const PATH = "/_matrix/client/unstable/org.hearth.ws/sync";
/** Handshakes in flight at once. */
const CONNECT_CONCURRENCY = 200;

/**
 * Raises a process's open-file limit (sockets) to `wanted` with `prlimit` when it is lower: the soft
 * limit up to the hard one, and beyond when allowed (root with CAP_SYS_RESOURCE). Best effort: when it
 * cannot, connections fail with EMFILE and the run says so.
 */
function raiseFileLimit(pid: number, wanted: number): void {
  try {
    const [soft, hard] = execFileSync("prlimit", [
      "--pid",
      String(pid),
      "--nofile",
      "--output=SOFT,HARD",
      "--noheadings",
    ])
      .toString()
      .trim()
      .split(/\s+/)
      .map((v) => (v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v)));
    if (soft! >= wanted) return;
    const limit =
      hard! >= wanted
        ? `${wanted}:${hard === Number.POSITIVE_INFINITY ? "unlimited" : hard}`
        : `${wanted}:${wanted}`;
    execFileSync("prlimit", ["--pid", String(pid), `--nofile=${limit}`]);
  } catch (e) {
    progress(`ws idle streams: could not raise the open-file limit of ${pid}: ${(e as Error).message}`);
  }
}

/** Opens a stream as `user` from `since`; resolves with it once its first frame has arrived. */
function openStream(url: string, user: BenchUser, since: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + PATH, { perMessageDeflate: false });
    const fail = (e: Error) => {
      ws.terminate();
      reject(e);
    };
    ws.once("open", () => ws.send(JSON.stringify({ type: "auth", access_token: user.token, since })));
    ws.once("message", (data) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type !== "sync") fail(new Error(`first frame: ${data.toString().slice(0, 200)}`));
      else resolve(ws);
    });
    ws.once("error", fail);
    ws.once("close", (code) => fail(new Error(`closed with ${code} before the first frame`)));
  });
}

/** Closes every stream and waits until the server has seen them go. */
async function closeAll(streams: readonly WebSocket[]): Promise<void> {
  await Promise.all(
    streams.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.removeAllListeners("close");
          ws.once("close", () => resolve());
          ws.terminate();
        }),
    ),
  );
}

function settle(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The scenario. */
export const wsIdleScenario: Scenario = {
  name: "ws idle streams",
  runs: 3,
  figures: {
    cold: { name: "server RSS, 10 000 users, just started", unit: "MB" },
    synced: { name: "server RSS, 10 000 users synced once, no streams", unit: "MB" },
    streaming: { name: "server RSS, 10 000 idle WebSocket sync streams", unit: "MB" },
    perStream: {
      name: "RSS per idle WebSocket sync stream",
      unit: "KB",
      target: { op: "<", value: 20 },
    },
    perStreamCold: { name: "RSS per stream, with the user's first sync", unit: "KB" },
  },
  async setup() {
    raiseFileLimit(process.pid, STREAMS + 1024);
    const server: BenchServer = await startBenchServer(64);
    const { http, proc } = server;
    const started = performance.now();
    const users = await registerUsers(http, "ws", STREAMS);
    const rooms = await pool(
      Array.from({ length: ROOMS }, (_, r) => users[r]!),
      8,
      (u) => createRoom(http, u),
    );
    await pool(users.slice(ROOMS), 16, (u, i) => joinRoom(http, u, rooms[(i + ROOMS) % ROOMS]!));
    // Online before any stream opens: a stream's set_presence then changes nothing, and 10 000 users
    // coming online do not wake their co-members' streams.
    await pool(users, 16, (u) =>
      http.ok("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(u.userId)}/status`, u.token, {
        presence: "online",
      }),
    );
    progress(
      `ws idle streams: ${STREAMS} users in ${ROOMS} rooms in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    let open: WebSocket[] = [];
    return {
      async measure() {
        // A fresh process each run: what the streams cost, not what earlier runs left in the heap.
        await proc.restart();
        raiseFileLimit(proc.pid!, STREAMS + 1024);
        // A current token: every sync below, and every stream's first frame, is incremental from it.
        const since = (
          await http.ok<{ next_batch: string }>("GET", syncPath({ timeout: 0 }), users[0]!.token)
        ).next_batch;
        await settle(2_000);
        const cold = await rssMb(proc.pid!);
        await pool(users, 16, (u) => http.ok("GET", syncPath({ since, timeout: 0 }), u.token));
        await settle(3_000);
        const synced = await rssMb(proc.pid!);
        const t0 = performance.now();
        open = await pool(users, CONNECT_CONCURRENCY, (u) => openStream(proc.url, u, since));
        progress(
          `ws idle streams: ${open.length} streams open in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        // Let the handshakes' garbage go and the server settle; the streams stay idle.
        await settle(5_000);
        const streaming = await rssMb(proc.pid!);
        let frames = 0;
        for (const ws of open) ws.on("message", () => frames++);
        await settle(1_000);
        if (frames > 0) progress(`ws idle streams: ${frames} frames arrived on idle streams`);
        await closeAll(open);
        open = [];
        return {
          cold,
          synced,
          streaming,
          perStream: ((streaming - synced) * 1024) / STREAMS,
          perStreamCold: ((streaming - cold) * 1024) / STREAMS,
        };
      },
      async close() {
        await closeAll(open);
        await server.close();
      },
    };
  },
};

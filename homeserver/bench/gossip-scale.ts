/**
 * Gossip at scale: one room shared by N servers (N = 5, 10, 20, 40; Hearth processes on 127.0.1.x,
 * see `gossip-cluster.ts`), one message per second from one origin for a fixed time, with full-mesh
 * HTTP (`gossip: off`) and with gossip (`gossip: preferred`) side by side in the same run: a fresh
 * cluster per N and mode, `off` first. Per event it reports what the origin sends (messages, bytes),
 * the bytes all servers send together, the duplicates received, and the delivery latency to every
 * other server's `/sync`. Targets (from the issue): the origin's egress per event flat in N with
 * gossip (about the mesh degree, against N−1 with the full mesh) and p99 delivery under 300 ms at
 * N = 40. It prints its own table (every figure, per N and mode), adds the headline figures to the
 * bench table, and writes a PNG of origin bytes per event against N (`results/`).
 *
 * Per cluster: node 1's user creates a public room, every other node's user joins through node 1;
 * once every server lists N joined members (and, with gossip, every node has N−1 libp2p peers), a
 * user on each of nodes 2…N long-polls `/sync`; a few warm-up messages must reach all of them. Then
 * each run is
 *  1. a quiet window (nothing sent): every counter's background rate per node (heads announcements
 *     every `gossip_repair_interval_ms`, gossipsub upkeep);
 *  2. a measured window: node 1 sends one message per second for `SECONDS`, until every message has
 *     reached every reader (or 15 s after the last send), plus 1.5 s for gossip's IHAVE/IWANT rounds;
 *     per node, counter deltas minus the background rate × the window's length, divided by the
 *     messages sent.
 * Latency: from the start of the send request on node 1 to the `/sync` response on node k that
 * carries the event, over every (message, server) pair.
 *
 * Settings (environment; `HEARTH_*` variables are not passed to the servers):
 *  - `HEARTH_BENCH_GOSSIP_SIZES` (default `5,10,20,40`), `HEARTH_BENCH_GOSSIP_MODES` (`off,preferred`)
 *  - `HEARTH_BENCH_GOSSIP_SECONDS` (default 10): messages per measured window, one a second
 *  - `HEARTH_BENCH_GOSSIP_QUIET_SECONDS` (default 10): the background window before each
 *  - `HEARTH_BENCH_GOSSIP_RUNS` (default 1): runs (quiet + measured window) per cluster; medians
 *  - `HEARTH_BENCH_GOSSIP_MESH_DEGREE`: passed on as `HEARTH_GOSSIP_MESH_DEGREE` (server default 6)
 *  - `HEARTH_BENCH_GOSSIP_LOG_LEVEL` (default `warn`) and `HEARTH_BENCH_GOSSIP_LOG_DIR`: the servers'
 *    log level, and a folder for one log file per server
 *  - `HEARTH_BENCH_GOSSIP_OUT` (default `homeserver/bench/results`): where the PNG and JSON go
 *  - `HEARTH_BENCH_GOSSIP_FROM`: a JSON written before; prints its table and plot again, measures nothing
 * The full measurement: `HEARTH_BENCH_GOSSIP_RUNS=3 HEARTH_BENCH_GOSSIP_SECONDS=20 npm run bench
 * --workspace @hearth/homeserver -- gossip`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, median } from "../../federation/bench/harness.js";
import { hasJoinedMembers, joinVia, registerUser, waitFor } from "./federation-fixtures.js";
import { type BenchUser, percentile, pool } from "./fixtures.js";
import {
  type Counters,
  type GossipMode,
  ScaleCluster,
  type ScaleNode,
  type SocketBytes,
  scrapeMetrics,
  tcpBytesSent,
  tcpDelta,
} from "./gossip-cluster.js";
import { renderLineChart } from "./png-chart.js";
import { progress } from "./scenario.js";

/** A benchmark that runs and reports itself (here: a cluster per size and mode), for `run.ts`. */
export interface Suite {
  readonly name: string;
  /** Rows for the bench table, and what failed (the rest still reported). */
  run(): Promise<{ results: BenchResult[]; failures: string[] }>;
}

/** The bench's settings, from the environment (see the file header). */
export interface GossipScaleSettings {
  readonly sizes: readonly number[];
  readonly modes: readonly GossipMode[];
  readonly seconds: number;
  readonly quietSeconds: number;
  readonly runs: number;
  readonly meshDegree: number | undefined;
  readonly logLevel: string;
  readonly logDir: string | undefined;
  readonly outDir: string;
  /** A JSON this bench wrote: print its table and plot again instead of measuring. */
  readonly from?: string | undefined;
}

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}`);
  return n;
}

/** Reads the settings. */
export function gossipScaleSettings(env = process.env): GossipScaleSettings {
  const sizes = (env.HEARTH_BENCH_GOSSIP_SIZES ?? "5,10,20,40").split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 254))
    throw new Error("HEARTH_BENCH_GOSSIP_SIZES: integers from 2 to 254, comma-separated");
  const modes = (env.HEARTH_BENCH_GOSSIP_MODES ?? "off,preferred").split(",").map((s) => s.trim());
  for (const m of modes)
    if (m !== "off" && m !== "preferred")
      throw new Error(`HEARTH_BENCH_GOSSIP_MODES: off or preferred, not ${m}`);
  const mesh = env.HEARTH_BENCH_GOSSIP_MESH_DEGREE;
  return {
    sizes,
    modes: modes as GossipMode[],
    seconds: envNumber("HEARTH_BENCH_GOSSIP_SECONDS", 10, 1),
    quietSeconds: envNumber("HEARTH_BENCH_GOSSIP_QUIET_SECONDS", 10, 1),
    runs: envNumber("HEARTH_BENCH_GOSSIP_RUNS", 1, 1),
    meshDegree: mesh ? envNumber("HEARTH_BENCH_GOSSIP_MESH_DEGREE", 6, 1) : undefined,
    logLevel: env.HEARTH_BENCH_GOSSIP_LOG_LEVEL ?? "warn",
    logDir: env.HEARTH_BENCH_GOSSIP_LOG_DIR || undefined,
    outDir: resolve(env.HEARTH_BENCH_GOSSIP_OUT || join(BENCH_DIR, "results")),
    from: env.HEARTH_BENCH_GOSSIP_FROM || undefined,
  };
}

/** The counters read from every node, with the names used below. */
const METRICS = {
  gossipBytes: "hearth_gossip_bytes_sent_total",
  gossipMessages: "hearth_gossip_messages_sent_total",
  gossipRpcs: "hearth_gossip_rpcs_sent_total",
  gossipReceived: "hearth_gossip_messages_received_total",
  gossipDuplicates: "hearth_gossip_duplicates_received_total",
  httpBytes: "hearth_federation_transaction_bytes_sent_total",
  httpPdus: "hearth_federation_pdus_sent_total",
  httpEdus: "hearth_federation_edus_sent_total",
  httpTransactions: "hearth_federation_transactions_sent_total",
} as const;
type Metric = keyof typeof METRICS | "tcpBytes" | "cpuSeconds";
const ALL_METRICS: readonly Metric[] = [
  ...(Object.keys(METRICS) as (keyof typeof METRICS)[]),
  "tcpBytes",
  "cpuSeconds",
];
type Values = Record<Metric, number>;

/** Every node's counters at one moment. */
interface Sample {
  readonly at: number;
  readonly counters: readonly Counters[];
  readonly tcp: SocketBytes;
  readonly cpu: readonly number[];
}

/** CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) of the whole line are 12 and 13 after the command name; 100 Hz.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function sample(nodes: readonly ScaleNode[]): Promise<Sample> {
  const started = performance.now();
  const [counters, tcp, cpu] = await Promise.all([
    Promise.all(nodes.map(scrapeMetrics)),
    tcpBytesSent(nodes),
    Promise.all(nodes.map((n) => cpuSeconds(n.pid))),
  ]);
  return { at: (started + performance.now()) / 2, counters, tcp, cpu };
}

/** Per node: what was counted between two samples. */
function deltas(a: Sample, b: Sample, nodes: readonly ScaleNode[]): Values[] {
  const tcp = tcpDelta(a.tcp, b.tcp);
  return nodes.map((n, i) => {
    const out = {} as Values;
    for (const [key, name] of Object.entries(METRICS))
      out[key as Metric] = (b.counters[i]![name] ?? 0) - (a.counters[i]![name] ?? 0);
    out.tcpBytes = tcp.get(n.pid) ?? 0;
    out.cpuSeconds = b.cpu[i]! - a.cpu[i]!;
    return out;
  });
}

function sum(list: readonly Values[]): Values {
  const out = {} as Values;
  for (const m of ALL_METRICS) out[m] = list.reduce((s, v) => s + v[m], 0);
  return out;
}

/** One measured window's figures (per event unless named otherwise). */
export interface WindowFigures {
  readonly originMessages: number;
  readonly originBytes: number;
  readonly originTcpBytes: number;
  readonly networkBytes: number;
  readonly networkTcpBytes: number;
  readonly duplicates: number;
  /** HTTP PDUs sent by all servers per event (with gossip preferred: what did not go over gossip). */
  readonly networkHttpPdus: number;
  /**
   * Distinct gossip messages per event: messages received over all servers ÷ (N − 1), since every
   * server but the publisher takes each message once. (`hearth_gossip_messages_received_total` counts
   * gossipsub's `gossipsub:message` events: accepted messages only, no duplicates, despite its help
   * text.) 1 is the event itself; the rest are heads announcements beyond the quiet window's rate.
   */
  readonly distinctGossipMessages: number;
  readonly p50: number;
  readonly p99: number;
  /** p99 over messages of the slowest server's latency. */
  readonly slowestP99: number;
  readonly delivered: number;
  readonly expected: number;
  /** Background (quiet window), per second: the origin's bytes, all servers' bytes, their CPU cores. */
  readonly backgroundOriginBytesPerSecond: number;
  readonly backgroundNetworkBytesPerSecond: number;
  readonly backgroundCores: number;
  /** CPU cores all servers used during the measured window (background included). */
  readonly activeCores: number;
  /** The machine's 1-minute load average at the end of the window (it is shared). */
  readonly loadAverage: number;
}

/** One measured window: its figures and the raw deltas behind them. */
export interface WindowResult {
  readonly n: number;
  readonly mode: GossipMode;
  readonly run: number;
  readonly events: number;
  readonly quietMs: number;
  readonly activeMs: number;
  /** Per node (index 0 is the origin): counter deltas of the quiet and the measured windows. */
  readonly quiet: readonly Values[];
  readonly active: readonly Values[];
  readonly figures: WindowFigures;
}

/** What a cluster looked like once set up. */
export interface ClusterInfo {
  readonly n: number;
  readonly mode: GossipMode;
  readonly startSeconds: number;
  readonly roomSeconds: number;
  /** Fewest libp2p peers any node had when measuring started (gossip only). */
  readonly minPeers: number | undefined;
  /** Resident memory of the largest process, MB. */
  readonly maxRssMb: number;
}

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: { content?: { body?: unknown } }[] } }> };
}

/** Long-polls `/sync` for one user and records when each bench message first shows up. */
class Reader {
  readonly arrivals = new Map<string, number>();
  #active = true;
  #since = "";
  #loop: Promise<void> | undefined;
  error: Error | undefined;

  constructor(
    readonly node: ScaleNode,
    readonly user: BenchUser,
    readonly roomId: string,
  ) {}

  #path(timeout?: number): string {
    const filter = JSON.stringify({
      room: { rooms: [this.roomId], timeline: { limit: 100 }, state: { lazy_load_members: true } },
      presence: { types: [] },
      account_data: { types: [] },
    });
    const q = new URLSearchParams({ filter });
    if (this.#since) q.set("since", this.#since);
    if (timeout !== undefined) q.set("timeout", String(timeout));
    return `/_matrix/client/v3/sync?${q}`;
  }

  async start(): Promise<void> {
    this.#since = (await this.node.http.ok<SyncBody>("GET", this.#path(), this.user.token)).next_batch;
    this.#loop = (async () => {
      while (this.#active) {
        let body: SyncBody;
        try {
          body = await this.node.http.ok<SyncBody>("GET", this.#path(30_000), this.user.token);
        } catch (e) {
          if (!this.#active) return;
          this.error = e as Error;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const at = performance.now();
        this.#since = body.next_batch;
        for (const ev of body.rooms?.join?.[this.roomId]?.timeline?.events ?? []) {
          const text = ev.content?.body;
          if (typeof text === "string" && !this.arrivals.has(text)) this.arrivals.set(text, at);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#active = false;
    this.node.http.close();
    await this.#loop?.catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Tries `fn` up to four times. On a loaded machine a join can fail: a key fetch between the joining
 * and the resident servers times out (10 s), and `make_join` answers 401 or the `send_join` state
 * does not verify ("no valid create event"); the key is not fetched again before 30 s.
 */
async function retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  // The second wait outlasts the key service's first backoff after a failed fetch (30 s).
  const waits = [2_000, 35_000, 35_000];
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const wait = waits[attempt - 1];
      if (wait === undefined) throw e;
      progress(`${what} failed (attempt ${attempt}), trying again: ${(e as Error).message.slice(0, 300)}`);
      await sleep(wait);
    }
  }
}
const enc = encodeURIComponent;

/** Sends `count` messages from the origin, one every `intervalMs`; returns body → send start. */
async function sendPaced(
  origin: ScaleNode,
  user: BenchUser,
  roomId: string,
  prefix: string,
  count: number,
  intervalMs: number,
): Promise<Map<string, number>> {
  const started = new Map<string, number>();
  const sends: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    const body = `${prefix} ${i}`;
    started.set(body, performance.now());
    sends.push(
      origin.http.ok(
        "PUT",
        `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomUUID()}`,
        user.token,
        { msgtype: "m.text", body },
      ),
    );
  }
  await Promise.all(sends);
  return started;
}

/** Waits until every reader has every message (true), or the deadline passes (false). */
async function allArrived(readers: readonly Reader[], bodies: readonly string[], deadline: number) {
  for (;;) {
    if (readers.every((r) => bodies.every((b) => r.arrivals.has(b)))) return true;
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
}

/** Sets up a cluster of `n` in `mode`, measures `settings.runs` windows, and tears it down. */
async function measureCluster(
  n: number,
  mode: GossipMode,
  settings: GossipScaleSettings,
): Promise<{ info: ClusterInfo; windows: WindowResult[] }> {
  const label = `gossip scale N=${n} ${mode}`;
  const cluster = new ScaleCluster({
    nodes: n,
    mode,
    env: {
      HEARTH_LOG_LEVEL: settings.logLevel,
      ...(settings.meshDegree ? { HEARTH_GOSSIP_MESH_DEGREE: String(settings.meshDegree) } : {}),
    },
    ...(settings.logDir ? { logDir: settings.logDir } : {}),
  });
  const readers: Reader[] = [];
  try {
    const t0 = performance.now();
    await cluster.start();
    const startSeconds = (performance.now() - t0) / 1000;
    progress(`${label}: ${n} servers up in ${startSeconds.toFixed(1)} s`);
    const t1 = performance.now();
    const nodes = cluster.nodes;
    const users = await pool(nodes, 8, (node) => registerUser(node.http, "bench"));
    const origin = nodes[0]!;
    const roomId = (
      await origin.http.ok("POST", "/_matrix/client/v3/createRoom", users[0]!.token, {
        preset: "public_chat",
      })
    ).room_id as string;
    // One join at a time. Concurrent joins go wrong here: a join that node 1 relays to a server still
    // in the middle of its own join is refused there ("Unknown room") and not sent again; and on a
    // loaded machine a joiner's parallel key fetches from every resident server time out (10 s), so
    // the `send_join` state fails to verify. A message from node 1 follows, which any server that
    // still missed a join fetches it through (`/get_missing_events`).
    for (const node of nodes.slice(1))
      await retry(`${node.name} joining`, () =>
        joinVia(node.http, users[node.index - 1]!, roomId, origin.name),
      );
    await origin.http.ok(
      "PUT",
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomUUID()}`,
      users[0]!.token,
      { msgtype: "m.text", body: "gossip-bench: everyone is here" },
    );
    await Promise.all(
      nodes.map((node) =>
        waitFor(
          `${node.name} to list ${n} joined members`,
          () => hasJoinedMembers(node.http, users[node.index - 1]!, roomId, n),
          300_000,
          250,
        ),
      ),
    );
    let minPeers: number | undefined;
    if (mode !== "off") {
      const peers = async () =>
        Math.min(...(await Promise.all(nodes.map(scrapeMetrics))).map((c) => c.hearth_gossip_peers ?? 0));
      await waitFor(
        `every node to have ${n - 1} gossip peers`,
        async () => (await peers()) >= n - 1,
        60_000,
        500,
      ).catch((e: Error) => progress(`${label}: ${e.message}; measuring anyway`));
      minPeers = await peers();
    }
    for (const [i, node] of nodes.entries()) if (i > 0) readers.push(new Reader(node, users[i]!, roomId));
    await Promise.all(readers.map((r) => r.start()));
    await sleep(500);
    // Warm-up: connections, key caches, JIT; every server must get every message.
    const warm = await sendPaced(origin, users[0]!, roomId, "gossip-bench warm-up", 3, 500);
    if (!(await allArrived(readers, [...warm.keys()], performance.now() + 60_000)))
      throw new Error(`${label}: warm-up messages did not reach every server within 60 s`);
    const roomSeconds = (performance.now() - t1) / 1000;
    const rss = await Promise.all(
      nodes.map(async (node) => {
        const status = await readFile(`/proc/${node.pid}/status`, "utf8");
        return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
      }),
    );
    progress(
      `${label}: room of ${n} set up in ${roomSeconds.toFixed(1)} s` +
        (minPeers !== undefined ? `, fewest gossip peers ${minPeers}` : "") +
        `, largest RSS ${Math.round(Math.max(...rss))} MB`,
    );
    await sleep(2_000);

    const windows: WindowResult[] = [];
    for (let run = 1; run <= settings.runs; run++) {
      const q0 = await sample(nodes);
      await sleep(settings.quietSeconds * 1000);
      const q1 = await sample(nodes);
      const a0 = await sample(nodes);
      const started = await sendPaced(
        origin,
        users[0]!,
        roomId,
        `gossip-bench r${run}`,
        settings.seconds,
        1000,
      );
      const bodies = [...started.keys()];
      const lastSend = Math.max(...started.values());
      await allArrived(readers, bodies, lastSend + 15_000);
      await sleep(1_500);
      const a1 = await sample(nodes);
      const w = windowResult(n, mode, run, nodes, [q0, q1], [a0, a1], started, readers);
      windows.push(w);
      const f = w.figures;
      progress(
        `${label}: run ${run}: origin ${f.originMessages.toFixed(1)} msgs, ${(f.originBytes / 1000).toFixed(2)} KB ` +
          `(TCP ${(f.originTcpBytes / 1000).toFixed(2)} KB), network ${(f.networkBytes / 1000).toFixed(1)} KB ` +
          `(TCP ${(f.networkTcpBytes / 1000).toFixed(1)} KB), duplicates ${f.duplicates.toFixed(1)}, distinct gossip ` +
          `messages ${f.distinctGossipMessages.toFixed(1)} per event; p50 ${f.p50.toFixed(0)} ms, p99 ` +
          `${f.p99.toFixed(0)} ms, delivered ${f.delivered}/${f.expected}; CPU ${f.backgroundCores.toFixed(2)} cores ` +
          `quiet, ${f.activeCores.toFixed(2)} measuring; load average ${f.loadAverage.toFixed(1)}`,
      );
    }
    return {
      info: { n, mode, startSeconds, roomSeconds, minPeers, maxRssMb: Math.max(...rss) },
      windows,
    };
  } finally {
    await Promise.all(readers.map((r) => r.stop()));
    await cluster.cleanup();
  }
}

/** Computes a window's figures from its samples and the readers' arrival times. */
function windowResult(
  n: number,
  mode: GossipMode,
  run: number,
  nodes: readonly ScaleNode[],
  [q0, q1]: readonly [Sample, Sample],
  [a0, a1]: readonly [Sample, Sample],
  started: ReadonlyMap<string, number>,
  readers: readonly Reader[],
): WindowResult {
  const latencies: number[] = [];
  const slowest: number[] = [];
  for (const [body, t0] of started) {
    let worst = 0;
    for (const r of readers) {
      const at = r.arrivals.get(body);
      if (at === undefined) {
        worst = Number.POSITIVE_INFINITY;
        continue;
      }
      latencies.push(at - t0);
      worst = Math.max(worst, at - t0);
    }
    slowest.push(worst);
  }
  const base = {
    n,
    mode,
    run,
    events: started.size,
    quietMs: q1.at - q0.at,
    activeMs: a1.at - a0.at,
    quiet: deltas(q0, q1, nodes),
    active: deltas(a0, a1, nodes),
  };
  return {
    ...base,
    figures: {
      ...trafficFigures(base),
      p50: latencies.length ? percentile(latencies, 50) : Number.NaN,
      p99: latencies.length ? percentile(latencies, 99) : Number.NaN,
      slowestP99: percentile(slowest, 99),
      delivered: latencies.length,
      expected: started.size * readers.length,
      loadAverage: loadavg()[0]!,
    },
  };
}

type LatencyFigure = "p50" | "p99" | "slowestP99" | "delivered" | "expected" | "loadAverage";

/** The figures computed from the counters alone (also when re-reading a saved JSON). */
function trafficFigures(
  w: Pick<WindowResult, "n" | "events" | "quietMs" | "activeMs" | "quiet" | "active">,
): Omit<WindowFigures, LatencyFigure> {
  const { n, events, quietMs, activeMs, quiet, active } = w;
  // Per node: the measured window less the background at the quiet window's rate.
  const net = active.map((a, i) => {
    const out = {} as Values;
    for (const m of ALL_METRICS) out[m] = a[m] - (quiet[i]![m] * activeMs) / quietMs;
    return out;
  });
  const o = net[0]!;
  const all = sum(net);
  const quietAll = sum(quiet);
  const activeAll = sum(active);
  return {
    originMessages: (o.gossipMessages + o.httpPdus) / events,
    originBytes: (o.gossipBytes + o.httpBytes) / events,
    originTcpBytes: o.tcpBytes / events,
    networkBytes: (all.gossipBytes + all.httpBytes) / events,
    networkTcpBytes: all.tcpBytes / events,
    duplicates: all.gossipDuplicates / events,
    networkHttpPdus: all.httpPdus / events,
    distinctGossipMessages: all.gossipReceived / (n - 1) / events,
    backgroundOriginBytesPerSecond: ((quiet[0]!.gossipBytes + quiet[0]!.httpBytes) * 1000) / quietMs,
    backgroundNetworkBytesPerSecond: ((quietAll.gossipBytes + quietAll.httpBytes) * 1000) / quietMs,
    backgroundCores: (quietAll.cpuSeconds * 1000) / quietMs,
    activeCores: (activeAll.cpuSeconds * 1000) / activeMs,
  };
}

type FigureKey = keyof WindowFigures;

/** The median of a figure over a cluster's windows. */
function med(windows: readonly WindowResult[], key: FigureKey): number {
  const values = windows.map((w) => w.figures[key]);
  return values.length ? median(values) : Number.NaN;
}

const kb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1000).toFixed(2) : "–");
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/** The table of every figure, per N and mode (medians over runs), as Markdown with notes. */
export function formatGossipTable(
  settings: GossipScaleSettings,
  clusters: readonly { info: ClusterInfo; windows: readonly WindowResult[] }[],
): string {
  const header = [
    "N",
    "mode",
    "origin msgs/ev",
    "origin KB/ev",
    "origin TCP KB/ev",
    "network KB/ev",
    "network TCP KB/ev",
    "dups/ev",
    "distinct gossip msgs/ev",
    "p50 ms",
    "p99 ms",
    "slowest p99 ms",
    "delivered",
    "bg origin KB/s",
    "bg network KB/s",
    "CPU cores quiet/measuring",
  ];
  const rows = clusters.map(({ info, windows: w }) => {
    const delivered = w.reduce((s, x) => s + x.figures.delivered, 0);
    const expected = w.reduce((s, x) => s + x.figures.expected, 0);
    return [
      String(info.n),
      info.mode,
      fixed(med(w, "originMessages"), 1),
      kb(med(w, "originBytes")),
      kb(med(w, "originTcpBytes")),
      kb(med(w, "networkBytes")),
      kb(med(w, "networkTcpBytes")),
      info.mode === "off" ? "–" : fixed(med(w, "duplicates"), 1),
      info.mode === "off" ? "–" : fixed(med(w, "distinctGossipMessages"), 1),
      fixed(med(w, "p50"), 0),
      fixed(med(w, "p99"), 0),
      fixed(med(w, "slowestP99"), 0),
      `${delivered}/${expected}`,
      kb(med(w, "backgroundOriginBytesPerSecond")),
      kb(med(w, "backgroundNetworkBytesPerSecond")),
      `${fixed(med(w, "backgroundCores"), 2)}/${fixed(med(w, "activeCores"), 2)}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const runs = Math.max(0, ...clusters.map((c) => c.windows.length));
  return [
    `Gossip scale: one room, N servers, 1 message/s from node 1 for ${settings.seconds} s per run; ` +
      `medians of ${runs} run${runs === 1 ? "" : "s"} (node ${process.version}, ${availableParallelism()} cores)`,
    "",
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
    "",
    "Notes:",
    "- Per event (ev) = (counter delta over the measured window − the quiet window's rate × its length) ÷ messages sent.",
    "- msgs: gossipsub messages sent, one per peer (hearth_gossip_messages_sent_total), plus PDUs in HTTP transactions.",
    "- KB (1 000 bytes): gossipsub RPC bytes before Noise/Yamux framing (hearth_gossip_bytes_sent_total; IHAVE/IWANT/" +
      "GRAFT included) plus HTTP transaction JSON bodies before TLS/HTTP framing " +
      "(hearth_federation_transaction_bytes_sent_total). Responses (e.g. repair fetches) are not in these counters.",
    "- TCP KB: rough: bytes_acked of every established TCP socket of the process (`ss -ti`), all protocols and framing " +
      "(TLS, HTTP, Noise, Yamux); sockets opened and closed between the two samples are missed; client API and " +
      "metrics sockets are left out.",
    "- network: all N servers together. dups: gossip copies received again, all servers together (HTTP has none).",
    "- distinct gossip msgs: messages accepted by all servers ÷ (N − 1): 1 is the event itself, the rest " +
      "are heads announcements (repair) above the quiet window's rate.",
    `- Latency: send request start on node 1 → /sync response on node k, all (message, server) pairs; slowest: the ` +
      "p99 over messages of the last server to get it. delivered: (message, server) pairs seen in /sync.",
    "- bg: the quiet window's rate (heads announcements every gossip_repair_interval_ms, default 10 s; upkeep). " +
      "CPU: cores used by all N servers together.",
  ].join("\n");
}

const COLORS = { off: "#d62728", preferred: "#1f77b4" } as const;
const MODE_LABEL = { off: "off (HTTP full mesh)", preferred: "preferred (gossip)" } as const;

/** The PNG: origin KB per event against N, per mode (counters solid, all TCP bytes dashed). */
export function originBytesChart(
  settings: GossipScaleSettings,
  clusters: readonly { info: ClusterInfo; windows: readonly WindowResult[] }[],
): Buffer {
  const runs = Math.max(0, ...clusters.map((c) => c.windows.length));
  const series = settings.modes.flatMap((mode) => {
    const mine = clusters.filter((c) => c.info.mode === mode && c.windows.length > 0);
    return [
      {
        label: `${MODE_LABEL[mode]}: ${mode === "off" ? "transaction bodies" : "gossipsub RPC bytes"}`,
        color: COLORS[mode],
        points: mine.map((c) => ({ x: c.info.n, y: med(c.windows, "originBytes") / 1000 })),
      },
      {
        label: `${mode}: all TCP bytes (rough)`,
        color: COLORS[mode],
        dashed: true,
        points: mine.map((c) => ({ x: c.info.n, y: med(c.windows, "originTcpBytes") / 1000 })),
      },
    ];
  });
  return renderLineChart({
    title: `Origin bytes per event against N (1 msg/s, ${settings.seconds} s, median of ${runs} run${runs === 1 ? "" : "s"})`,
    xLabel: "servers in the room (N)",
    yLabel: "KB sent by the origin per event",
    series,
  });
}

/** The rows for the bench's main table: origin KB per event per N and mode, p99 and flatness. */
function headline(
  settings: GossipScaleSettings,
  clusters: readonly { info: ClusterInfo; windows: readonly WindowResult[] }[],
): BenchResult[] {
  const row = (
    name: string,
    unit: string,
    values: readonly number[],
    target?: { op: "<" | ">="; value: number },
  ): BenchResult => {
    const m = values.length ? median(values) : Number.NaN;
    return {
      name,
      unit,
      median: m,
      min: Math.min(...values),
      max: Math.max(...values),
      runs: values.length,
      ...(target
        ? {
            target: `${target.op} ${target.value}`,
            met: target.op === "<" ? m < target.value : m >= target.value,
          }
        : {}),
    };
  };
  const out: BenchResult[] = [];
  for (const c of clusters) {
    if (c.windows.length === 0) continue;
    out.push(
      row(
        `gossip scale N=${c.info.n} ${c.info.mode}: origin bytes/event`,
        "KB",
        c.windows.map((w) => w.figures.originBytes / 1000),
      ),
    );
  }
  const largest = Math.max(...settings.sizes);
  const smallest = Math.min(...settings.sizes);
  for (const mode of settings.modes) {
    const c = clusters.find((x) => x.info.mode === mode && x.info.n === largest);
    if (!c || c.windows.length === 0) continue;
    out.push(
      row(
        `gossip scale N=${largest} ${mode}: delivery p99 to all servers`,
        "ms",
        c.windows.map((w) => w.figures.p99),
        mode === "preferred" ? { op: "<", value: 300 } : undefined,
      ),
    );
  }
  const big = clusters.find((x) => x.info.mode === "preferred" && x.info.n === largest);
  const small = clusters.find((x) => x.info.mode === "preferred" && x.info.n === smallest);
  if (big?.windows.length && small?.windows.length && largest !== smallest) {
    // Flat in N: the origin sends about as much per event to 40 servers as to 5 (within 50 %).
    out.push(
      row(
        `gossip scale preferred: origin bytes/event N=${largest} ÷ N=${smallest} (flat)`,
        "×",
        [med(big.windows, "originBytes") / med(small.windows, "originBytes")],
        { op: "<", value: 1.5 },
      ),
    );
  }
  return out;
}

/** The suite: every size, `off` then `preferred` for each; prints its table, writes PNG and JSON. */
export const gossipScaleSuite: Suite = {
  name: "gossip scale",
  async run() {
    const settings = gossipScaleSettings();
    if (settings.from) {
      const saved = await reread(settings.from);
      return report({ ...saved.settings, outDir: settings.outDir, from: settings.from }, saved.clusters, []);
    }
    progress(
      `gossip scale: N = ${settings.sizes.join(", ")}; ${settings.modes.join(" and ")}; ${settings.runs} run(s) of ` +
        `${settings.seconds} s (after ${settings.quietSeconds} s quiet) per cluster`,
    );
    const clusters: { info: ClusterInfo; windows: WindowResult[] }[] = [];
    const failures: string[] = [];
    for (const n of settings.sizes) {
      for (const mode of settings.modes) {
        try {
          clusters.push(await measureCluster(n, mode, settings));
          // Saved as it goes, so that an interrupted sweep keeps what it measured.
          await mkdir(settings.outDir, { recursive: true });
          await writeFile(
            join(settings.outDir, "gossip-scale.json"),
            `${JSON.stringify({ settings, clusters }, null, 1)}\n`,
          );
        } catch (e) {
          failures.push(`N=${n} ${mode}: ${(e as Error).message}`);
          progress(`gossip scale N=${n} ${mode} failed: ${(e as Error).stack}`);
        }
      }
    }
    return report(settings, clusters, failures);
  },
};

/** Prints the table, writes the PNG and the JSON, and returns the rows for the bench table. */
async function report(
  settings: GossipScaleSettings,
  clusters: readonly { info: ClusterInfo; windows: readonly WindowResult[] }[],
  failures: string[],
): Promise<{ results: BenchResult[]; failures: string[] }> {
  if (clusters.length > 0) {
    console.log(`\n${formatGossipTable(settings, clusters)}`);
    await mkdir(settings.outDir, { recursive: true });
    const png = join(settings.outDir, "gossip-origin-bytes.png");
    await writeFile(png, originBytesChart(settings, clusters));
    const json = join(settings.outDir, "gossip-scale.json");
    await writeFile(json, `${JSON.stringify({ settings, clusters }, null, 1)}\n`);
    console.log(
      `\nPlot: ${relative(process.cwd(), png)}; every window's figures and deltas: ${relative(process.cwd(), json)}`,
    );
  }
  return { results: headline(settings, clusters), failures };
}

/**
 * Clusters from a JSON this bench wrote (`HEARTH_BENCH_GOSSIP_FROM`), with the counter figures
 * computed again from the saved deltas (the latency figures as saved): to redo the table and plot.
 */
async function reread(path: string): Promise<{
  settings: GossipScaleSettings;
  clusters: { info: ClusterInfo; windows: WindowResult[] }[];
}> {
  const saved = JSON.parse(await readFile(path, "utf8")) as {
    settings: GossipScaleSettings;
    clusters: { info: ClusterInfo; windows: WindowResult[] }[];
  };
  return {
    settings: saved.settings,
    clusters: saved.clusters.map((c) => ({
      info: c.info,
      windows: c.windows.map((w) => ({ ...w, figures: { ...w.figures, ...trafficFigures(w) } })),
    })),
  };
}

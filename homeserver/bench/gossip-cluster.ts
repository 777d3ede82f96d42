/**
 * A lean cluster launcher for the gossip scale benchmark: N Hearth processes, each on its own
 * loopback address 127.0.1.k (k = 1…N; the tests use 127.0.0.x), federating directly over TLS with a
 * test CA, with gossip in the given mode and a Prometheus metrics listener. Unlike the multi-node test
 * harness (`tests/federation/harness.ts`) there are no TCP proxies: no link is ever cut here, and 40
 * nodes' federation and gossip traffic piped through the bench process would load it and add latency.
 *
 * Layout of node k:
 * ```
 *   client API           127.0.1.k:<port 0, reported on stdout>
 *   federation listener  127.0.1.k:<fed port>      server name "127.0.1.k:<fed port>"
 *   gossip (libp2p)      127.0.1.k:<gossip port>   announced as is
 *   metrics              127.0.1.k:<metrics port>  GET /metrics
 * ```
 * Processes start in batches (2 cores: 40 at once would time out), and are SIGKILLed by
 * {@link ScaleCluster.cleanup} (and by an exit hook if the bench dies), their data directories deleted.
 *
 * Traffic is read two ways: the Prometheus counters of each process ({@link scrapeMetrics}), and a
 * rough figure of all TCP payload bytes each process sent over its sockets, from `ss`
 * ({@link tcpBytesSent}).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { HEARTH_BIN, REPO_ROOT } from "../../tests/support/process.js";
import { createLeafCertificate, createTestCa } from "../src/federation/tls.js";
import { Http } from "./http.js";

/** Gossip mode of every node. */
export type GossipMode = "off" | "preferred";

/** Options of {@link ScaleCluster}. */
export interface ScaleClusterOptions {
  readonly nodes: number;
  readonly mode: GossipMode;
  /** Extra `HEARTH_*` variables for every node. */
  readonly env?: Readonly<Record<string, string>>;
  /** How many processes start at once (default 6). */
  readonly batch?: number;
  /** When set, each node's stdout and stderr (its log) go to `<logDir>/<mode>-n<N>-<k>.log`. */
  readonly logDir?: string;
}

/** One node. */
export interface ScaleNode {
  /** 1-based. */
  readonly index: number;
  readonly host: string;
  /** `host:federation port`. */
  readonly name: string;
  readonly pid: number;
  /** The client API, e.g. `http://127.0.1.3:40123`. */
  readonly url: string;
  readonly clientPort: number;
  readonly metricsPort: number;
  readonly http: Http;
}

/** A free TCP port on `host` (bound and released). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** N Hearth processes on 127.0.1.1…N; see the file header. */
export class ScaleCluster {
  readonly nodes: ScaleNode[] = [];
  readonly #children: ChildProcess[] = [];
  readonly #dirs: string[] = [];
  readonly #killAll = () => {
    for (const c of this.#children) c.kill("SIGKILL");
  };

  constructor(private readonly options: ScaleClusterOptions) {}

  /** Node `k` (1-based). */
  node(k: number): ScaleNode {
    const n = this.nodes[k - 1];
    if (!n) throw new Error(`no node ${k}`);
    return n;
  }

  /** Makes the CA and certificates and starts every node, a batch at a time. */
  async start(): Promise<void> {
    process.on("exit", this.#killAll);
    const certDir = await mkdtemp(join(tmpdir(), "hearth-bench-ca-"));
    this.#dirs.push(certDir);
    const ca = createTestCa();
    const caFile = join(certDir, "ca.crt");
    await writeFile(caFile, ca.cert);
    if (this.options.logDir) await mkdir(this.options.logDir, { recursive: true });
    const batch = this.options.batch ?? 6;
    const started: ScaleNode[] = [];
    for (let first = 1; first <= this.options.nodes; first += batch) {
      const ks = Array.from({ length: Math.min(batch, this.options.nodes - first + 1) }, (_, i) => first + i);
      started.push(...(await Promise.all(ks.map((k) => this.#spawn(k, ca, caFile, certDir)))));
    }
    this.nodes.push(...started.sort((a, b) => a.index - b.index));
  }

  async #spawn(
    k: number,
    ca: ReturnType<typeof createTestCa>,
    caFile: string,
    certDir: string,
  ): Promise<ScaleNode> {
    if (k > 254) throw new Error("at most 254 nodes (127.0.1.1-254)");
    const host = `127.0.1.${k}`;
    const [fedPort, gossipPort, metricsPort] = [
      await freePort(host),
      await freePort(host),
      await freePort(host),
    ];
    const leaf = createLeafCertificate(ca, [host]);
    const cert = join(certDir, `${host}.crt`);
    const key = join(certDir, `${host}.key`);
    await writeFile(cert, leaf.cert);
    await writeFile(key, leaf.key, { mode: 0o600 });
    const dataDir = await mkdtemp(join(tmpdir(), "hearth-bench-gossip-"));
    this.#dirs.push(dataDir);
    const name = `${host}:${fedPort}`;
    const env: Record<string, string> = {};
    for (const [k2, v] of Object.entries(process.env))
      if (v !== undefined && !k2.startsWith("HEARTH_")) env[k2] = v;
    Object.assign(env, {
      HEARTH_BIND: `${host}:0`,
      HEARTH_DATA_DIR: dataDir,
      HEARTH_SERVER_NAME: name,
      HEARTH_FEDERATION_BIND: name,
      HEARTH_TLS_CERT: cert,
      HEARTH_TLS_KEY: key,
      HEARTH_FEDERATION_CA: caFile,
      HEARTH_FEDERATION_VERIFY_TLS: "true",
      HEARTH_FEDERATION_ALLOW_PRIVATE: "true",
      HEARTH_RATE_LIMITS: "off",
      HEARTH_REGISTRATION: "open",
      HEARTH_LOG_LEVEL: "warn",
      HEARTH_METRICS_BIND: `${host}:${metricsPort}`,
      HEARTH_GOSSIP: this.options.mode,
      ...(this.options.mode === "off"
        ? {}
        : {
            HEARTH_GOSSIP_BIND: `${host}:${gossipPort}`,
            HEARTH_GOSSIP_ANNOUNCE: `${host}:${gossipPort}`,
          }),
      ...this.options.env,
    });
    const child = spawn(process.execPath, ["--max-semi-space-size=4", HEARTH_BIN, "start"], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#children.push(child);
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => {
      stderr = (stderr + c).slice(-16_384);
    });
    if (this.options.logDir) {
      const log = createWriteStream(
        join(this.options.logDir, `${this.options.mode}-n${this.options.nodes}-${k}.log`),
      );
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    }
    child.stdout!.setEncoding("utf8");
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => fail("did not listen within 120 s"), 120_000);
      const onExit = (code: number | null) => fail(`exited with code ${code}`);
      const onData = (c: string) => {
        out += c;
        const m = /is listening on (http:\/\/\S+)/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.off("exit", onExit);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve(m[1]!);
      };
      function fail(why: string) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`Hearth ${name} ${why}\n--- stderr ---\n${stderr}`));
      }
      child.once("exit", onExit);
      child.stdout!.on("data", onData);
    });
    const clientPort = Number(new URL(url).port);
    return {
      index: k,
      host,
      name,
      pid: child.pid!,
      url,
      clientPort,
      metricsPort,
      http: new Http(url, 16),
    };
  }

  /** Kills every process, closes the clients and deletes the data and certificates. */
  async cleanup(): Promise<void> {
    for (const n of this.nodes) n.http.close();
    await Promise.all(
      this.#children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
    this.#children.length = 0;
    this.#dirs.length = 0;
    this.nodes.length = 0;
    process.off("exit", this.#killAll);
  }
}

/** Counter values of one process's `GET /metrics`, by metric name (labels summed unless named). */
export type Counters = Record<string, number>;

/** Scrapes `GET /metrics` of a node and sums each sample by metric name (and `name{labels}`). */
export function scrapeMetrics(node: ScaleNode): Promise<Counters> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: node.host, port: node.metricsPort, path: "/metrics", method: "GET" },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          if (res.statusCode !== 200)
            return reject(new Error(`metrics of ${node.name}: HTTP ${res.statusCode}`));
          const out: Counters = {};
          for (const line of text.split("\n")) {
            if (line === "" || line.startsWith("#")) continue;
            const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
            if (!m) continue;
            const value = Number(m[3]);
            if (!Number.isFinite(value)) continue;
            out[m[1]!] = (out[m[1]!] ?? 0) + value;
            if (m[2]) out[`${m[1]}${m[2]}`] = value;
          }
          resolve(out);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const execFileAsync = promisify(execFile);

/** Per-socket bytes sent, keyed `pid local peer`, for the processes asked about. */
export type SocketBytes = Map<string, { readonly pid: number; readonly bytes: number }>;

/**
 * A rough figure of what processes sent over TCP: `ss -tinp` lists every established socket with its
 * owner and `bytes_acked` (TCP payload the peer acknowledged: TLS, HTTP, Noise and Yamux framing
 * included; IP/TCP headers not). Sockets to or from a node's client API and metrics ports (the
 * bench's own requests) are left out. Sockets that closed between two samples are missed (a short
 * request on a new connection); sockets opened in between count from zero.
 */
export async function tcpBytesSent(nodes: readonly ScaleNode[]): Promise<SocketBytes> {
  const { stdout } = await execFileAsync("ss", ["-tinpH", "state", "established"], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const pids = new Set(nodes.map((n) => n.pid));
  const excluded = new Set(nodes.flatMap((n) => [`${n.host}:${n.clientPort}`, `${n.host}:${n.metricsPort}`]));
  const out: SocketBytes = new Map();
  // Each socket: a line with the addresses and users:(...), then an indented line with tcp_info.
  const lines = stdout.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i]!;
    const m = /^\s*\d+\s+\d+\s+(\S+)\s+(\S+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(head);
    if (!m) continue;
    const info = lines[i + 1] ?? "";
    const pid = Number(m[3]);
    if (!pids.has(pid) || excluded.has(m[1]!) || excluded.has(m[2]!)) continue;
    const acked = /\bbytes_acked:(\d+)/.exec(info);
    out.set(`${pid} ${m[1]} ${m[2]}`, { pid, bytes: acked ? Number(acked[1]) : 0 });
  }
  return out;
}

/** Bytes each process sent between two {@link tcpBytesSent} samples, by pid. */
export function tcpDelta(before: SocketBytes, after: SocketBytes): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, { pid, bytes }] of after) {
    const sent = bytes - (before.get(key)?.bytes ?? 0);
    out.set(pid, (out.get(pid) ?? 0) + Math.max(0, sent));
  }
  return out;
}

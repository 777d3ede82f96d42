/**
 * Multi-node harness: N Hearth server processes federating with each other over real TLS on
 * loopback, with a network the test can cut and heal.
 *
 * Layout of node k (k = 1…N, host 127.0.0.(k+1) unless `firstHost` says otherwise):
 * ```
 *   client API            127.0.0.H:<client port>     (HEARTH_BIND; tests talk to it over HTTP)
 *   federation listener   127.0.0.H:<listener port>   (HEARTH_FEDERATION_BIND; TLS, leaf cert for IP:127.0.0.H)
 *   public federation     127.0.0.H:<proxy port>      a ControlledProxy forwarding to the listener
 *   server name           "127.0.0.H:<proxy port>"
 * ```
 * The server name is an IP literal with an explicit port, so by the spec's discovery rules (step 2)
 * every server connects straight to that address and port, with no `.well-known` or SRV, and checks
 * the certificate against the IP: exactly the production path, with a test CA
 * (`HEARTH_FEDERATION_CA`, from `homeserver/src/federation/tls.ts`) instead of a public root, and
 * `HEARTH_FEDERATION_ALLOW_PRIVATE=true` so the SSRF guard lets loopback through.
 *
 * Cutting the network: all federation traffic *into* a node passes its proxy, and the proxy tells
 * which node opened each connection (`/proc`, see `tests/support/tcp-proxy.ts`). `cut(a, b)` makes
 * a's proxy refuse b and b's proxy refuse a, and ends their open connections; `heal(a, b)` undoes it.
 * `isolate(a)` refuses everyone at a's proxy; a's own outbound traffic is refused by the others'
 * proxies, which are told to block a. TLS passes through the proxy untouched.
 *
 * Alternatives considered: network namespaces (`ip netns` works on these machines when run as root:
 * a namespace per server with veth pairs and `ip link set down` to cut would be the most faithful
 * partition) need root and per-machine setup; the proxy needs neither and runs in CI as any user.
 *
 * Processes: every node is a {@link HearthProcess} of one {@link ProcessGroup}; `cleanup()` (call it
 * in `afterAll`, registered before `start()` so that it runs even when starting fails) SIGKILLs them,
 * closes the proxies and deletes data and certificates. `kill()`/`restart()` keep the data directory,
 * the server name and both ports.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLeafCertificate, createTestCa } from "../../homeserver/src/federation/tls.js";
import { register, type UserClient } from "../support/matrix.js";
import { type HearthProcess, ProcessGroup } from "../support/process.js";
import { ControlledProxy, type CutMode, procPeerIdentifier } from "../support/tcp-proxy.js";

/** A certificate and its key, as PEM files. */
export interface PemFiles {
  readonly cert: string;
  readonly key: string;
}

/** Options of {@link FederationCluster}. */
export interface ClusterOptions {
  /** Number of servers. */
  readonly nodes: number;
  /**
   * Last octet of the first node's loopback address (default 2: 127.0.0.2, 127.0.0.3, …). Test files
   * run in parallel: give each its own range, or a port picked free by one can be taken by another
   * before it is bound.
   */
  readonly firstHost?: number;
  /** Extra `HEARTH_*` variables for every node. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Gossip mode of every node (default off). When on, each node's libp2p listener gets a proxy too
   * (announced in its record), so {@link FederationCluster.cut} cuts gossip links as well as HTTP.
   */
  readonly gossip?: "off" | "alongside" | "preferred";
}

/** Anything with a name and a proxy in front of its federation listener (and its gossip listener). */
export interface Peer {
  readonly name: string;
  readonly proxy: ControlledProxy;
  readonly gossipProxy?: ControlledProxy | undefined;
}

/** One server of the cluster. */
export class FederationNode {
  constructor(
    /** 1-based position in the cluster. */
    readonly index: number,
    /** The loopback address all its listeners bind. */
    readonly host: string,
    /** Its server name, `host:proxyPort`. */
    readonly name: string,
    /** The proxy in front of its federation listener. */
    readonly proxy: ControlledProxy,
    /** The real federation listener's port. */
    readonly listenerPort: number,
    readonly tls: PemFiles,
    /** The running process (replaced on restart, same data directory). */
    public process: HearthProcess | undefined,
    /** With gossip: the real libp2p listener's port, and the proxy other nodes dial. */
    readonly gossipPort?: number,
    readonly gossipProxy?: ControlledProxy,
  ) {}

  /** The client API base URL. */
  get url(): string {
    if (!this.process) throw new Error(`node ${this.index} was not started`);
    return this.process.url;
  }

  /** Its data directory (signing key in `signing.key`). */
  get dataDir(): string {
    if (!this.process) throw new Error(`node ${this.index} was not started`);
    return this.process.dataDir;
  }

  /** `@localpart:<server name>`. */
  userId(localpart: string): string {
    return `@${localpart}:${this.name}`;
  }
}

/** A free TCP port on `host` (bound and released; nothing else binds these loopback addresses). */
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

/** N federating Hearth processes; see the file header. */
export class FederationCluster {
  readonly nodes: FederationNode[] = [];
  readonly #group = new ProcessGroup();
  #certDir: string | undefined;
  #ca: PemFiles | undefined;
  #caPem: ReturnType<typeof createTestCa> | undefined;

  /** Servers other than the nodes (e.g. a Synapse) that the proxies can tell apart: name → pid. */
  readonly #peers = new Map<string, () => number | undefined>();
  readonly #externalProxies: ControlledProxy[] = [];
  readonly #identify = procPeerIdentifier(
    () =>
      new Map([
        ...this.nodes.map((n) => [n.name, n.process?.pid] as const),
        ...[...this.#peers].map(([name, pid]) => [name, pid()] as const),
      ]),
  );

  constructor(private readonly options: ClusterOptions) {}

  /**
   * A proxy like the nodes' in front of another server's federation listener at `host:port`, and
   * the proxies' way to recognise that server's connections (`pid`), so that {@link cut},
   * {@link heal} and {@link isolate} work for it once it has its name. Returns the proxy, listening.
   */
  async externalProxy(host: string, targetPort: number): Promise<ControlledProxy> {
    const proxy = new ControlledProxy(host, { host, port: targetPort }, this.#identify);
    await proxy.listen();
    this.#externalProxies.push(proxy);
    return proxy;
  }

  /** Registers another server (see {@link externalProxy}) under its server name. */
  addPeer(name: string, pid: () => number | undefined): void {
    this.#peers.set(name, pid);
  }

  /** Node `k` (1-based). */
  node(k: number): FederationNode {
    const n = this.nodes[k - 1];
    if (!n) throw new Error(`no node ${k}`);
    return n;
  }

  /** Makes the CA and certificates, the proxies, and starts every server (in parallel). */
  async start(): Promise<void> {
    this.#certDir = await mkdtemp(join(tmpdir(), "hearth-ca-"));
    const certDir = this.#certDir;
    const ca = createTestCa();
    this.#caPem = ca;
    this.#ca = { cert: join(certDir, "ca.crt"), key: join(certDir, "ca.key") };
    await writeFile(this.#ca.cert, ca.cert);
    await writeFile(this.#ca.key, ca.key, { mode: 0o600 });
    const identify = this.#identify;
    const first = this.options.firstHost ?? 2;
    for (let k = 1; k <= this.options.nodes; k++) {
      const host = `127.0.0.${first + k - 1}`;
      const listenerPort = await freePort(host);
      const proxy = new ControlledProxy(host, { host, port: listenerPort }, identify);
      const publicPort = await proxy.listen();
      const leaf = createLeafCertificate(ca, [host]);
      const tls = { cert: join(certDir, `${host}.crt`), key: join(certDir, `${host}.key`) };
      await writeFile(tls.cert, leaf.cert);
      await writeFile(tls.key, leaf.key, { mode: 0o600 });
      let gossipPort: number | undefined;
      let gossipProxy: ControlledProxy | undefined;
      if ((this.options.gossip ?? "off") !== "off") {
        gossipPort = await freePort(host);
        gossipProxy = new ControlledProxy(host, { host, port: gossipPort }, identify);
        await gossipProxy.listen();
      }
      this.nodes.push(
        new FederationNode(
          k,
          host,
          `${host}:${publicPort}`,
          proxy,
          listenerPort,
          tls,
          undefined,
          gossipPort,
          gossipProxy,
        ),
      );
    }
    await Promise.all(this.nodes.map((n) => this.#spawn(n)));
  }

  async #spawn(n: FederationNode): Promise<void> {
    n.process = await this.#group.start({
      host: n.host,
      env: {
        HEARTH_SERVER_NAME: n.name,
        HEARTH_FEDERATION_BIND: `${n.host}:${n.listenerPort}`,
        HEARTH_TLS_CERT: n.tls.cert,
        HEARTH_TLS_KEY: n.tls.key,
        HEARTH_FEDERATION_CA: this.#ca!.cert,
        HEARTH_FEDERATION_VERIFY_TLS: "true",
        HEARTH_FEDERATION_ALLOW_PRIVATE: "true",
        HEARTH_RATE_LIMITS: "off",
        HEARTH_REGISTRATION: "open",
        ...(n.gossipProxy
          ? {
              HEARTH_GOSSIP: this.options.gossip!,
              HEARTH_GOSSIP_BIND: `${n.host}:${n.gossipPort}`,
              HEARTH_GOSSIP_ANNOUNCE: `${n.host}:${n.gossipProxy.port}`,
            }
          : {}),
        ...this.options.env,
      },
    });
  }

  /** The test CA's certificate (PEM file), for clients the test builds itself. */
  get caFile(): string {
    if (!this.#ca) throw new Error("cluster not started");
    return this.#ca.cert;
  }

  /**
   * A certificate for `host` from the test CA (PEM strings), for extra servers a test runs itself
   * (e.g. a forged server); the nodes trust it like each other's.
   */
  issueCertificate(host: string): { cert: string; key: string; ca: string } {
    if (!this.#caPem) throw new Error("cluster not started");
    const leaf = createLeafCertificate(this.#caPem, [host]);
    return { cert: leaf.cert, key: leaf.key, ca: this.#caPem.cert };
  }

  /** Registers a user on `node` (open registration). */
  register(
    node: FederationNode,
    localpart: string,
    password = "correct horse battery staple",
  ): Promise<UserClient> {
    return register(node.url, localpart, password);
  }

  /** SIGKILLs a node (a crash). */
  async kill(node: FederationNode): Promise<void> {
    await node.process?.kill();
  }

  /** Graceful stop (SIGTERM). */
  async stop(node: FederationNode): Promise<void> {
    if (node.process?.running) await node.process.stop();
  }

  /** Starts a stopped or killed node again on its data directory, name and ports. */
  async restart(node: FederationNode): Promise<void> {
    if (!node.process) throw new Error(`node ${node.index} was never started`);
    if (node.process.running) await node.process.stop();
    await node.process.start();
  }

  /** Cuts the network between `a` and `b` in both directions (HTTP and gossip alike). */
  cut(a: Peer, b: Peer, mode: CutMode = "reset"): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      x.proxy.block(y.name, mode);
      x.gossipProxy?.block(y.name, mode);
    }
  }

  /** Restores the network between `a` and `b`. */
  heal(a: Peer, b: Peer): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      x.proxy.unblock(y.name);
      x.gossipProxy?.unblock(y.name);
    }
  }

  /** Cuts `a` off from every other node. */
  isolate(a: Peer, mode: CutMode = "reset"): void {
    for (const other of this.nodes) if (other !== a) this.cut(a, other, mode);
    a.proxy.blockAll(mode);
    a.gossipProxy?.blockAll(mode);
  }

  /** Every proxy: the nodes' (federation and gossip) and the external ones. */
  #proxies(): ControlledProxy[] {
    return [
      ...this.nodes.flatMap((n) => (n.gossipProxy ? [n.proxy, n.gossipProxy] : [n.proxy])),
      ...this.#externalProxies,
    ];
  }

  /** Restores every link. */
  healAll(): void {
    for (const proxy of this.#proxies()) proxy.unblockAll();
  }

  /** Kills every process, closes the proxies, deletes data and certificates. Safe to call twice. */
  async cleanup(): Promise<void> {
    await this.#group.cleanup();
    await Promise.all(this.#proxies().map((p) => p.close()));
    this.#externalProxies.length = 0;
    this.nodes.length = 0;
    if (this.#certDir) await rm(this.#certDir, { recursive: true, force: true });
    this.#certDir = undefined;
  }
}

/** Polls `check` until it returns a value other than `undefined`/`false`, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError === undefined ? "" : `: ${(lastError as Error).message}`),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

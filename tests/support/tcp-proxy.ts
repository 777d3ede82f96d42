/**
 * A TCP proxy the test controls, standing in front of a server's federation listener: it listens on
 * the address and port of the server's public name and forwards bytes to the real listener (TLS
 * passes through untouched, end to end).
 *
 * To cut the network between two particular servers, the proxy must know which server opened an
 * incoming connection. On loopback every connection's source address is 127.0.0.1 whatever the
 * destination, so the proxy asks the kernel instead: it finds the connecting socket in
 * `/proc/net/tcp` (by its address and port) and the process holding that socket's inode among the
 * candidate processes' `/proc/<pid>/fd` links. Connections it cannot attribute (the test process
 * itself, a process that just died) count as `unknown`.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** What a blocked connection experiences. */
export type CutMode =
  /** The connection is accepted and closed at once (connection reset / EOF): fails fast. */
  | "reset"
  /** The connection is accepted and never answered: the client waits for its timeout. */
  | "blackhole";

/** Attributes an incoming connection (its remote address and port) to a peer name. */
export type PeerIdentifier = (address: string, port: number) => Promise<string | undefined>;

/** `127.0.0.2:1234` as `/proc/net/tcp` writes it: `0200007F:04D2` (little-endian IPv4, hex port). */
function procTcpAddress(address: string, port: number): string {
  const octets = address.split(".").map(Number).reverse();
  const hex = octets.map((o) => o.toString(16).padStart(2, "0")).join("");
  return `${hex}:${port.toString(16).padStart(4, "0")}`.toUpperCase();
}

/** The inode of the local socket bound to `address:port`, from `/proc/net/tcp`. */
async function socketInode(address: string, port: number): Promise<string | undefined> {
  const wanted = procTcpAddress(address.replace(/^::ffff:/, ""), port);
  const table = await readFile("/proc/net/tcp", "utf8");
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === wanted && fields[9] !== "0") return fields[9];
  }
  return undefined;
}

/** Whether process `pid` holds socket `inode`. */
async function holdsSocket(pid: number, inode: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const link = `socket:[${inode}]`;
  for (const fd of fds) {
    try {
      if ((await readlink(`/proc/${pid}/fd/${fd}`)) === link) return true;
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return false;
}

/**
 * A {@link PeerIdentifier} over `/proc`: `candidates()` gives the current peer name → process ID
 * (processes restart, so it is asked on every connection).
 */
export function procPeerIdentifier(
  candidates: () => ReadonlyMap<string, number | undefined>,
): PeerIdentifier {
  return async (address, port) => {
    const inode = await socketInode(address, port);
    if (inode === undefined) return undefined;
    for (const [name, pid] of candidates()) {
      if (pid !== undefined && (await holdsSocket(pid, inode))) return name;
    }
    return undefined;
  };
}

/** A controllable proxy from `listenHost:port` to `targetHost:targetPort`. */
export class ControlledProxy {
  readonly #server: Server;
  readonly #blocked = new Set<string>();
  readonly #connections = new Set<{ peer: string; client: Socket; upstream: Socket | undefined }>();
  /** Connections accepted so far, per peer (blocked ones included). */
  readonly accepted = new Map<string, number>();
  #blockAll = false;
  #mode: CutMode = "reset";
  #port = 0;

  constructor(
    readonly listenHost: string,
    private readonly target: { host: string; port: number },
    private readonly identify: PeerIdentifier,
  ) {
    this.#server = createServer((socket) => void this.#accept(socket));
  }

  /** The port the proxy listens on. */
  get port(): number {
    return this.#port;
  }

  /** Listens on `port` (0: a free port). */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, this.listenHost, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as { port: number }).port;
    return this.#port;
  }

  /** Points the proxy at another target port (after the server restarted elsewhere). */
  retarget(port: number): void {
    this.target.port = port;
  }

  /** Refuses connections from `peer` (and ends the open ones), until {@link unblock}. */
  block(peer: string, mode: CutMode = "reset"): void {
    this.#mode = mode;
    this.#blocked.add(peer);
    for (const c of this.#connections) if (c.peer === peer) this.#end(c);
  }

  /** Lets `peer` connect again. */
  unblock(peer: string): void {
    this.#blocked.delete(peer);
    for (const c of this.#connections) if (c.peer === peer && c.upstream === undefined) this.#end(c);
  }

  /** Refuses every connection, whoever opens it (a server unreachable from everywhere). */
  blockAll(mode: CutMode = "reset"): void {
    this.#mode = mode;
    this.#blockAll = true;
    for (const c of this.#connections) this.#end(c);
  }

  /** Ends {@link blockAll} and every {@link block}. */
  unblockAll(): void {
    this.#blockAll = false;
    this.#blocked.clear();
    for (const c of this.#connections) if (c.upstream === undefined) this.#end(c);
  }

  /** Whether a connection from `peer` would be refused. */
  isBlocked(peer: string): boolean {
    return this.#blockAll || this.#blocked.has(peer);
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    for (const c of this.#connections) this.#end(c);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #end(c: { client: Socket; upstream: Socket | undefined }): void {
    c.client.destroy();
    c.upstream?.destroy();
  }

  async #accept(client: Socket): Promise<void> {
    client.pause();
    client.on("error", () => {});
    const peer =
      (await this.identify(client.remoteAddress ?? "", client.remotePort ?? 0).catch(() => undefined)) ??
      "unknown";
    this.accepted.set(peer, (this.accepted.get(peer) ?? 0) + 1);
    if (this.isBlocked(peer)) {
      if (this.#mode === "reset") client.resetAndDestroy();
      else {
        // Held open, never answered; ended on heal or close.
        const held = { peer, client, upstream: undefined };
        this.#connections.add(held);
        client.once("close", () => this.#connections.delete(held));
      }
      return;
    }
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    const entry = { peer, client, upstream };
    this.#connections.add(entry);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    const forget = () => {
      this.#connections.delete(entry);
      client.destroy();
      upstream.destroy();
    };
    client.once("close", forget);
    upstream.once("close", forget);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

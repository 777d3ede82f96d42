/**
 * In-process federation for tests: real Hearth servers in this process with TLS federation
 * listeners (a test CA), and a forged peer — its own server name, signing key published over HTTPS,
 * optionally a gossip record and a libp2p node — that signs whatever the test asks it to, however
 * wrong, and talks to a server with raw HTTPS requests.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpsServer, request as httpsRequest, type Server } from "node:https";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildServerKeys,
  canonicalJsonEscapingLoneSurrogates,
  computeEventId,
  encodeBase64,
  formatXMatrixHeader,
  generateSigningKey,
  type Pdu,
  requestSigningJson,
  type SigningKey,
  signEvent,
} from "@hearth/federation";
import { createLeafCertificate, createTestCa } from "../../homeserver/src/federation/tls.js";
import { startTestServer, type TestServer } from "../../homeserver/src/testing/harness.js";

/** A free TCP port on `host`. */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, host, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A test CA, its PEM file and a directory for certificates; servers built on it trust each other. */
export class TestFederation {
  readonly servers: TestServer[] = [];
  readonly peers: ForgedPeer[] = [];
  #dir = "";
  #ca: ReturnType<typeof createTestCa> | undefined;
  caFile = "";

  async init(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), "hearth-infed-"));
    this.#ca = await createTestCa();
    this.caFile = join(this.#dir, "ca.pem");
    await writeFile(this.caFile, this.#ca.cert);
  }

  /** The CA certificate (PEM). */
  get caPem(): string {
    return this.#ca!.cert;
  }

  /** A certificate for `host` from the CA. */
  certificate(host: string): { cert: string; key: string } {
    return createLeafCertificate(this.#ca!, [host]);
  }

  /** A Hearth server on `host` with its federation listener (and `overrides`, YAML-style keys). */
  async server(host: string, overrides: Record<string, unknown> = {}): Promise<TestServer> {
    const port = await freePort(host);
    const leaf = this.certificate(host);
    const certFile = join(this.#dir, `${host}-${port}.crt`);
    const keyFile = join(this.#dir, `${host}-${port}.key`);
    await writeFile(certFile, leaf.cert);
    await writeFile(keyFile, leaf.key);
    const server = await startTestServer({
      log_level: process.env.FED_LOG ?? "silent",
      server_name: `${host}:${port}`,
      federation_bind: `${host}:${port}`,
      tls_cert: certFile,
      tls_key: keyFile,
      federation_ca: this.caFile,
      federation_allow_private: true,
      registration: "open",
      ...overrides,
    });
    this.servers.push(server);
    return server;
  }

  /** A forged peer on `host`. */
  async peer(host: string): Promise<ForgedPeer> {
    const peer = await ForgedPeer.start(host, this.certificate(host), this.caPem);
    this.peers.push(peer);
    return peer;
  }

  async cleanup(): Promise<void> {
    for (const p of this.peers) await p.close();
    for (const s of this.servers) await s.destroy();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** What a forged peer serves besides its keys: GET path → JSON body (404 for anything else). */
export type PeerRoutes = Map<string, () => unknown>;

/** A request a forged peer received. */
export interface PeerRequest {
  readonly method: string;
  readonly url: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  readonly body: unknown;
}

/** A forged federation peer; see the file header. */
export class ForgedPeer {
  readonly key: SigningKey = generateSigningKey("ed25519:forged");
  readonly routes: PeerRoutes = new Map();
  /** Answers any request first when it returns something (status and JSON body). */
  onRequest: ((req: PeerRequest) => { status: number; body: unknown } | undefined) | undefined;
  /** Every request received, in order. */
  readonly received: PeerRequest[] = [];
  name = "";
  #server: Server | undefined;

  private constructor(private readonly caPem: string) {}

  static async start(host: string, tls: { cert: string; key: string }, caPem: string): Promise<ForgedPeer> {
    const peer = new ForgedPeer(caPem);
    peer.#server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        let parsed: unknown;
        try {
          parsed = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
        } catch {
          parsed = undefined;
        }
        const request = { method: req.method ?? "", url: req.url ?? "", body: parsed };
        peer.received.push(request);
        const custom = peer.onRequest?.(request);
        if (custom) {
          res
            .writeHead(custom.status, { "content-type": "application/json" })
            .end(JSON.stringify(custom.body));
          return;
        }
        const route = req.method === "GET" ? peer.routes.get(req.url ?? "") : undefined;
        const isKeys = req.method === "GET" && req.url === "/_matrix/key/v2/server";
        const body = isKeys
          ? buildServerKeys({ serverName: peer.name, key: peer.key, validUntilTs: Date.now() + 86_400_000 })
          : route?.();
        res.writeHead(body !== undefined ? 200 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify(body ?? { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }));
      });
    });
    await new Promise<void>((resolve) => peer.#server!.listen(0, host, resolve));
    peer.name = `${host}:${(peer.#server.address() as AddressInfo).port}`;
    return peer;
  }

  /** `@localpart:<our name>`. */
  userId(localpart: string): string {
    return `@${localpart}:${this.name}`;
  }

  /**
   * Sends a request to `server`'s federation listener: the body as text, signed with our key
   * (`good`), not at all (`none`), or with a signature that cannot match (`bad`).
   */
  request(
    server: string,
    method: string,
    path: string,
    body?: string,
    sign: "good" | "none" | "bad" = "good",
    timeoutMs = 15_000,
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { "content-type": "application/json", host: server };
    if (sign !== "none") {
      let content: unknown;
      try {
        content = body === undefined || body === "" ? undefined : JSON.parse(body);
      } catch {
        content = undefined;
      }
      let sig = "AAAA";
      if (sign === "good") {
        try {
          const json = requestSigningJson({
            method,
            uri: path,
            origin: this.name,
            destination: server,
            content,
          });
          sig = encodeBase64(this.key.sign(Buffer.from(canonicalJsonEscapingLoneSurrogates(json), "utf8")));
        } catch {
          // Content no signature can cover (a float): sent with a signature that cannot match.
        }
      }
      headers.authorization = formatXMatrixHeader({
        origin: this.name,
        destination: server,
        key: this.key.keyId,
        sig,
      });
    }
    const [host, port] = [
      server.slice(0, server.lastIndexOf(":")),
      Number(server.slice(server.lastIndexOf(":") + 1)),
    ];
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host, port, method, path, headers, ca: this.caPem, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Hashes and signs an event as `serverName` (default: us) with `key` (default: ours). */
  sign(event: Record<string, unknown>, roomVersion: string, serverName = this.name, key = this.key): Pdu {
    return signEvent(event, serverName, key, roomVersion) as unknown as Pdu;
  }

  /**
   * Joins `@localpart:us` to a room on `server` (make_join, sign, send_join v2). Returns the join
   * event and what a message on top of it references.
   */
  async join(
    server: string,
    roomId: string,
    localpart: string,
    roomVersion: string,
  ): Promise<{ joinId: string; join: Pdu; auth: string[]; depth: number }> {
    const userId = this.userId(localpart);
    const made = await this.request(
      server,
      "GET",
      `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}?ver=${roomVersion}`,
    );
    if (made.status !== 200) throw new Error(`make_join: ${made.status} ${made.text}`);
    const template = JSON.parse(made.text).event as Record<string, unknown>;
    const join = this.sign({ ...template, origin_server_ts: Date.now() }, roomVersion);
    const joinId = computeEventId(join, roomVersion);
    const joined = await this.request(
      server,
      "PUT",
      `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(joinId)}`,
      JSON.stringify(join),
    );
    if (joined.status !== 200) throw new Error(`send_join: ${joined.status} ${joined.text}`);
    const state = JSON.parse(joined.text).state as Pdu[];
    const idOf = (type: string) =>
      computeEventId(state.find((e) => e.type === type && e.state_key === "")!, roomVersion);
    return {
      joinId,
      join,
      auth: [idOf("m.room.create"), idOf("m.room.power_levels"), joinId],
      depth: join.depth,
    };
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

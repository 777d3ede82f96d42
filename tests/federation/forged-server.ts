/**
 * A forged federation peer for the forgery scenarios: a server name of its own (`127.0.0.H:port`,
 * certificate from the cluster's test CA) that publishes its signing key at `/_matrix/key/v2/server`,
 * accepts whatever transactions the real servers send it, and talks to them with the real
 * `createFederationClient`, signing requests (and events) with its own key — or with any key the test
 * likes, to forge.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import {
  buildServerKeys,
  computeEventId,
  createFederationClient,
  createNodeTransport,
  type FederationClient,
  generateSigningKey,
  type Pdu,
  type SigningKey,
  signEvent,
} from "@hearth/federation";
import type { FederationCluster, FederationNode } from "./harness.js";

/** A forged peer; see the file header. */
export class ForgedServer {
  readonly key: SigningKey = generateSigningKey("ed25519:forged");
  /** Transactions the real servers sent us (PUT /send), in arrival order. */
  readonly received: Array<Record<string, unknown>> = [];
  #server: Server | undefined;
  #name = "";
  #ca = "";

  private constructor(private readonly cluster: FederationCluster) {}

  /** Starts the peer's HTTPS server on `host` with a certificate from the cluster's CA. */
  static async start(cluster: FederationCluster, host: string): Promise<ForgedServer> {
    const peer = new ForgedServer(cluster);
    const tls = cluster.issueCertificate(host);
    peer.#ca = tls.ca;
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const json = (status: number, body: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (req.method === "GET" && req.url === "/_matrix/key/v2/server") {
          return json(
            200,
            buildServerKeys({ serverName: peer.name, key: peer.key, validUntilTs: Date.now() + 86_400_000 }),
          );
        }
        if (req.method === "PUT" && req.url?.startsWith("/_matrix/federation/v1/send/")) {
          try {
            peer.received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
          } catch {
            // Ignored: the real servers send JSON.
          }
          return json(200, { pdus: {} });
        }
        return json(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
      });
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    peer.#server = server;
    peer.#name = `${host}:${(server.address() as AddressInfo).port}`;
    return peer;
  }

  /** Our server name. */
  get name(): string {
    return this.#name;
  }

  /** `@localpart:<our name>`. */
  userId(localpart: string): string {
    return `@${localpart}:${this.#name}`;
  }

  /** A federation client speaking as `origin` (default: us) and signing with `key` (default: ours). */
  client(options: { origin?: string; key?: SigningKey } = {}): FederationClient {
    const nodes = this.cluster.nodes;
    return createFederationClient({
      origin: options.origin ?? this.#name,
      key: options.key ?? this.key,
      fetch: createNodeTransport({ allowPrivateAddresses: true, ca: [this.#ca] }),
      resolve: async (serverName) => {
        const node = nodes.find((n: FederationNode) => n.name === serverName);
        if (!node) throw new Error(`unknown server ${serverName}`);
        return {
          serverName,
          host: node.host,
          port: node.proxy.port,
          tlsServerName: node.host,
          sni: false,
          hostHeader: node.name,
          step: "2",
        };
      },
      timeoutMs: 15_000,
    });
  }

  /** Hashes and signs an event as `serverName` with `key` (default: us, our key); returns it and its ID. */
  sign(
    event: Record<string, unknown>,
    roomVersion: string,
    serverName = this.#name,
    key = this.key,
  ): { pdu: Pdu; eventId: string } {
    const pdu = signEvent(event, serverName, key, roomVersion) as unknown as Pdu;
    return { pdu, eventId: computeEventId(pdu, roomVersion) };
  }

  /** Stops the HTTPS server. */
  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

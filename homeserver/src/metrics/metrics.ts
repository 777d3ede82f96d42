/**
 * Prometheus metrics (`GET /metrics` on the metrics listener, `metrics_bind`). A first set: process
 * metrics, outbound federation transactions, and gossip traffic and peers. Services get the narrow
 * recorder they need ({@link FederationMetrics}); gossip is read when scraped.
 */

import type { GossipNetwork } from "@hearth/federation";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** What the federation sender records. */
export interface FederationMetrics {
  /** A transaction attempt: its outcome, size of its body in bytes, and how many PDUs and EDUs it held. */
  transaction(outcome: "sent" | "retry" | "dropped", bytes: number, pdus: number, edus: number): void;
}

/** The server's metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly federation: FederationMetrics;
  #gossip: () => GossipNetwork | undefined = () => undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "hearth_" });
    const transactions = new Counter({
      name: "hearth_federation_transactions_sent_total",
      help: "Outbound federation transactions, by outcome (sent, retry, dropped).",
      labelNames: ["outcome"] as const,
      registers: [this.registry],
    });
    const bytes = new Counter({
      name: "hearth_federation_transaction_bytes_sent_total",
      help: "Bytes of outbound transaction bodies (every attempt).",
      registers: [this.registry],
    });
    const pdus = new Counter({
      name: "hearth_federation_pdus_sent_total",
      help: "PDUs in outbound transactions (every attempt).",
      registers: [this.registry],
    });
    const edus = new Counter({
      name: "hearth_federation_edus_sent_total",
      help: "EDUs in outbound transactions (every attempt).",
      registers: [this.registry],
    });
    this.federation = {
      transaction(outcome, size, pduCount, eduCount) {
        transactions.inc({ outcome });
        bytes.inc(size);
        pdus.inc(pduCount);
        edus.inc(eduCount);
      },
    };
    const gossip = () => this.#gossip();
    const traffic = (name: string, help: string, read: (t: ReturnType<GossipNetwork["traffic"]>) => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const t = gossip()?.traffic();
          if (!t) return;
          this.reset();
          this.inc(read(t));
        },
      });
    traffic("hearth_gossip_rpcs_sent_total", "Gossipsub RPC frames sent (all peers).", (t) => t.rpcsSent);
    traffic("hearth_gossip_bytes_sent_total", "Bytes of gossipsub RPC frames sent.", (t) => t.bytesSent);
    traffic(
      "hearth_gossip_messages_sent_total",
      "Gossiped messages sent, one per peer sent to.",
      (t) => t.messagesSent,
    );
    traffic(
      "hearth_gossip_messages_received_total",
      "Gossiped messages received and delivered (first copies; duplicates are counted apart).",
      (t) => t.messagesReceived,
    );
    traffic(
      "hearth_gossip_duplicates_received_total",
      "Gossiped messages received again.",
      (t) => t.duplicatesReceived,
    );
    new Gauge({
      name: "hearth_gossip_peers",
      help: "libp2p peers connected.",
      registers: [this.registry],
      collect() {
        this.set(gossip()?.connectedPeers().length ?? 0);
      },
    });
  }

  /** Where gossip traffic is read from when scraped. */
  observeGossip(network: () => GossipNetwork | undefined): void {
    this.#gossip = network;
  }
}

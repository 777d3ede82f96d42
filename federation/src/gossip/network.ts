/**
 * The gossip network as the server sees it: topics to join and publish on, peers to dial, and the
 * hooks through which the server decides who may connect and what is valid. The libp2p gossipsub
 * adapter (`./libp2p.ts`) implements it; the rules (records, messages, validation) never see libp2p.
 */

/** What a validator decides about a received message. */
export type Verdict =
  /** Valid: delivered here and relayed to our mesh peers. */
  | "accept"
  /** Invalid (forged, malformed): dropped, not relayed, and the sending peer's score drops. */
  | "reject"
  /** Not relayed, no penalty (we could not judge it, or it is not for us). */
  | "ignore";

/** Options of a gossip network. */
export interface GossipNetworkOptions {
  /** The TCP address to listen on. */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * The multiaddrs other nodes should dial (what identify tells them), when not the listen address:
   * behind NAT, a proxy or a container network.
   */
  readonly announce?: readonly string[];
  /** The 32-byte seed of the node's Ed25519 libp2p key (a stable peer ID across restarts). */
  readonly seed: Uint8Array;
  /** Count what is sent and received ({@link GossipNetwork.traffic}); costs an encoding per RPC. */
  readonly countTraffic?: boolean;
  /** Mesh degree: how many peers each topic's mesh keeps (gossipsub's D). */
  readonly meshDegree: number;
  /** How often gossipsub's heartbeat runs (ms): mesh upkeep and gossip. */
  readonly heartbeatMs: number;
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Whether a peer may connect (checked when it connects, before anything else). */
  allowPeer(peerId: string): boolean;
  /** The message ID of a message (gossipsub deduplicates by it). */
  messageId(topic: string, data: Uint8Array): string;
  /** Judges a message from `from` (a peer ID) on `topic`. */
  validate(topic: string, data: Uint8Array, from: string): Promise<Verdict>;
  /** Called for each new connection to an allowed peer. */
  onPeerConnected?(peerId: string): void;
}

/** Counters of what the node sent, for measurements. */
export interface GossipTraffic {
  /** Gossipsub RPC frames sent, all peers together. */
  readonly rpcsSent: number;
  /** Their bytes. */
  readonly bytesSent: number;
  /** Application messages carried in them (a message forwarded to three peers counts three). */
  readonly messagesSent: number;
  /** Application messages received (before deduplication). */
  readonly messagesReceived: number;
  /** Of those, copies of a message already seen. */
  readonly duplicatesReceived: number;
}

/** A running gossip node. */
export interface GossipNetwork {
  /** Our peer ID. */
  readonly peerId: string;
  /** The multiaddrs we listen on (without `/p2p/…`). */
  listenAddresses(): string[];
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publishes to the topic's mesh; resolves with how many peers it was sent to. */
  publish(topic: string, data: Uint8Array): Promise<number>;
  /** Dials a peer at any of `addresses` (multiaddrs without `/p2p/`); the peer ID must match. */
  dial(peerId: string, addresses: readonly string[]): Promise<void>;
  /** Closes our connections to a peer. */
  hangUp(peerId: string): Promise<void>;
  /** Peers we are connected to. */
  connectedPeers(): string[];
  /** Peers we know to be subscribed to `topic`. */
  topicPeers(topic: string): string[];
  /** Our mesh peers for `topic`. */
  meshPeers(topic: string): string[];
  /** A peer's gossipsub score (below 0: misbehaving). */
  score(peerId: string): number;
  traffic(): GossipTraffic;
  stop(): Promise<void>;
}

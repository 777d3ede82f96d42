/**
 * The libp2p adapter of {@link GossipNetwork}: TCP, Noise, Yamux, Identify and gossipsub, with
 * gossipsub's own message signing off (every PDU is signed by its origin already), the message ID
 * supplied by the caller (the event ID), `floodPublish` off so that a publisher sends to its mesh only,
 * and a connection gater that lets in only the peers the caller allows (those a verified identity
 * record names). Kept out of the package's main entry (`@hearth/federation/gossip/libp2p`): libp2p is
 * Node-side and loads lazily.
 *
 * libp2p needs `Promise.withResolvers` (Node 22+): it is polyfilled here, before libp2p loads.
 */
import type { GossipNetwork, GossipNetworkOptions, GossipTraffic, Verdict } from "./network.js";

function polyfill(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === "function") return;
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** Topic score parameters: only invalid messages count against a peer (quiet rooms cost nothing). */
const TOPIC_SCORE = {
  topicWeight: 1,
  timeInMeshWeight: 0,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 1,
  firstMessageDeliveriesWeight: 0,
  firstMessageDeliveriesDecay: 0.5,
  firstMessageDeliveriesCap: 1,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  // Squared: one invalid message costs 10, three put the peer past the graylist threshold (-80).
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.9,
};

/** Starts a libp2p gossip node. */
export async function createLibp2pGossipNetwork(options: GossipNetworkOptions): Promise<GossipNetwork> {
  polyfill();
  const [
    { createLibp2p },
    { tcp },
    { noise },
    { yamux },
    { identify },
    gossipsubModule,
    keys,
    { multiaddr },
  ] = await Promise.all([
    import("libp2p"),
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@libp2p/identify"),
    import("@libp2p/gossipsub"),
    import("@libp2p/crypto/keys"),
    import("@multiformats/multiaddr"),
  ]);
  const { gossipsub } = gossipsubModule;
  const privateKey = await keys.generateKeyPairFromSeed("Ed25519", options.seed);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const node = await createLibp2p({
    privateKey,
    addresses: {
      listen: [
        `/${options.listen.host.includes(":") ? "ip6" : "ip4"}/${options.listen.host}/tcp/${options.listen.port}`,
      ],
      ...(options.announce ? { announce: [...options.announce] } : {}),
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      // After the Noise handshake the remote peer ID is proven: refuse peers no record names.
      denyInboundEncryptedConnection: (peerId) => !options.allowPeer(peerId.toString()),
      denyOutboundEncryptedConnection: (peerId) => !options.allowPeer(peerId.toString()),
      denyDialPeer: (peerId) => !options.allowPeer(peerId.toString()),
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        fallbackToFloodsub: false,
        floodPublish: false,
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        D: options.meshDegree,
        Dlo: Math.max(1, Math.min(options.meshDegree - 2, Math.ceil((options.meshDegree * 2) / 3))),
        Dhi: options.meshDegree * 2,
        Dout: Math.max(0, Math.min(2, Math.floor(options.meshDegree / 2) - 1)),
        heartbeatInterval: options.heartbeatMs,
        maxInboundDataLength: options.maxMessageBytes + 4096,
        msgIdFn: (msg) => encoder.encode(options.messageId(msg.topic, msg.data)),
        msgIdToStrFn: (id) => decoder.decode(id),
        scoreParams: { IPColocationFactorWeight: 0, topics: {} },
      }),
    },
  });
  // The concrete class has these; the GossipSub interface does not declare them.
  const pubsub = node.services.pubsub as typeof node.services.pubsub & {
    getMeshPeers(topic: string): string[];
    getScore(peerId: string): number;
  };

  const traffic = { rpcsSent: 0, bytesSent: 0, messagesSent: 0, messagesReceived: 0, duplicatesReceived: 0 };
  if (options.countTraffic) countTraffic(pubsub, traffic, (await import("@libp2p/gossipsub/message")).RPC);

  pubsub.addEventListener("gossipsub:message", () => {
    traffic.messagesReceived++;
  });

  node.addEventListener("peer:connect", (e) => {
    const peerId = e.detail.toString();
    if (options.allowPeer(peerId)) options.onPeerConnected?.(peerId);
  });

  // TopicValidatorResult's values are the verdicts' strings.
  const validator = async (peer: { toString(): string }, msg: { topic: string; data: Uint8Array }) => {
    let verdict: Verdict = "reject";
    if (msg.data.byteLength <= options.maxMessageBytes) {
      try {
        verdict = await options.validate(msg.topic, msg.data, peer.toString());
      } catch {
        verdict = "ignore";
      }
    }
    return verdict as unknown as import("@libp2p/gossipsub").TopicValidatorResult;
  };

  const peerIdOf = async (id: string) => (await import("@libp2p/peer-id")).peerIdFromString(id);

  return {
    peerId: node.peerId.toString(),
    listenAddresses() {
      return node.getMultiaddrs().map((ma) => ma.toString().replace(/\/p2p\/[^/]+$/, ""));
    },
    subscribe(topic) {
      (pubsub as unknown as { score: { params: { topics: Record<string, unknown> } } }).score.params.topics[
        topic
      ] = TOPIC_SCORE;
      pubsub.topicValidators.set(topic, validator);
      pubsub.subscribe(topic);
    },
    unsubscribe(topic) {
      pubsub.unsubscribe(topic);
      pubsub.topicValidators.delete(topic);
    },
    async publish(topic, data) {
      const result = await pubsub.publish(topic, data);
      return result.recipients.length;
    },
    async dial(peerId, addresses) {
      let lastError: unknown;
      for (const address of addresses) {
        try {
          await node.dial(multiaddr(`${address}/p2p/${peerId}`));
          return;
        } catch (e) {
          lastError = e;
        }
      }
      throw lastError ?? new Error(`no address to dial ${peerId}`);
    },
    async hangUp(peerId) {
      await node.hangUp(await peerIdOf(peerId));
    },
    connectedPeers() {
      return node.getPeers().map(String);
    },
    topicPeers(topic) {
      return pubsub.getSubscribers(topic).map(String);
    },
    meshPeers(topic) {
      return pubsub.getMeshPeers(topic).map(String);
    },
    score(peerId) {
      return pubsub.getScore(peerId);
    },
    traffic(): GossipTraffic {
      return { ...traffic };
    },
    async stop() {
      await node.stop();
    },
  };
}

/**
 * Counts what gossipsub sends (RPC frames and their bytes, messages inside) and the duplicates it
 * receives, by wrapping two of its internal methods. For measurements only (`countTraffic`): each
 * RPC is encoded once more to learn its size.
 */
function countTraffic(
  pubsub: unknown,
  traffic: { rpcsSent: number; bytesSent: number; messagesSent: number; duplicatesReceived: number },
  RPC: { encode(rpc: unknown): Uint8Array },
): void {
  const internals = pubsub as {
    sendRpc?: (id: string, rpc: { messages?: unknown[] }) => boolean;
    sendRpcInBatch?: (tosend: Set<string>, rpc: { messages?: unknown[] }) => void;
    validateReceivedMessage?: (from: unknown, msg: unknown) => Promise<{ code: string }>;
  };
  const count = (rpc: { messages?: unknown[] }, peers: number) => {
    traffic.rpcsSent += peers;
    traffic.bytesSent += RPC.encode(rpc).byteLength * peers;
    traffic.messagesSent += (rpc.messages?.length ?? 0) * peers;
  };
  const sendRpc = internals.sendRpc;
  if (sendRpc) {
    internals.sendRpc = function (this: unknown, id, rpc) {
      const sent = sendRpc.call(this, id, rpc);
      if (sent) count(rpc, 1);
      return sent;
    };
  }
  const sendRpcInBatch = internals.sendRpcInBatch;
  if (sendRpcInBatch) {
    internals.sendRpcInBatch = function (this: unknown, tosend, rpc) {
      sendRpcInBatch.call(this, tosend, rpc);
      count(rpc, tosend.size);
    };
  }
  const validateReceived = internals.validateReceivedMessage;
  if (validateReceived) {
    internals.validateReceivedMessage = async function (this: unknown, from, msg) {
      const result = await validateReceived.call(this, from, msg);
      if (result.code === "duplicate") traffic.duplicatesReceived++;
      return result;
    };
  }
}

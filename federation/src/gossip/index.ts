/**
 * Gossip among Hearth servers (`specs/gossip.md`): the pure parts — identity records, message
 * formats, topics — and the {@link GossipNetwork} interface. The libp2p adapter is a separate entry
 * point (`@hearth/federation/gossip/libp2p`).
 */
export {
  decodeGossipMessage,
  encodeHeadsMessage,
  encodePduMessage,
  type GossipMessage,
  GossipMessageError,
  gossipMessageId,
  type HeadsMessage,
  MAX_ANNOUNCED_HEADS,
  MAX_GOSSIP_MESSAGE_BYTES,
  type PduMessage,
  roomTopic,
  topicRoom,
  verifyHeads,
} from "./messages.js";
export type { GossipNetwork, GossipNetworkOptions, GossipTraffic, Verdict } from "./network.js";
export {
  buildGossipRecord,
  GOSSIP_RECORD_PATH,
  type GossipRecord,
  GossipRecordError,
  MAX_RECORD_ADDRESSES,
  MAX_RECORD_VALIDITY_MS,
  verifyGossipRecord,
} from "./record.js";

/**
 * Gossip identity records (`specs/gossip.md`, "Identity binding"): a Hearth server binds its libp2p
 * peer ID and addresses to its Matrix server name by signing them with its Matrix signing key. Peers
 * fetch the record over the Server-Server API, verify it against the server's published keys, and
 * accept libp2p connections only from peer IDs that a verified record names, so a libp2p peer cannot
 * pose as a Matrix server.
 */
import type { SigningKey } from "../crypto/index.js";
import { signJson, verifyJson } from "../crypto/index.js";
import type { KnownVerifyKey } from "../events/index.js";

/** The path of the record on the federation listener. */
export const GOSSIP_RECORD_PATH = "/_matrix/federation/unstable/org.hearth.gossip/record";

/** Most addresses a record may list. */
export const MAX_RECORD_ADDRESSES = 8;
/** Longest address (a multiaddr string). */
const MAX_ADDRESS_LENGTH = 256;
/** A record is valid for at most this long after it was signed (7 days). */
export const MAX_RECORD_VALIDITY_MS = 7 * 24 * 3600 * 1000;

/** A signed gossip identity record. */
export interface GossipRecord {
  /** The Matrix server the record binds. */
  readonly server_name: string;
  /** The server's libp2p peer ID (base58btc, e.g. `12D3KooW…`). */
  readonly peer_id: string;
  /** Multiaddrs its libp2p node listens on for other servers, without `/p2p/…`. */
  readonly addresses: readonly string[];
  /** Until when the binding holds (ms since the epoch). */
  readonly valid_until_ts: number;
  readonly signatures: Record<string, Record<string, string>>;
}

// base58btc: an identity multihash of an Ed25519 key (12D3KooW…), or a SHA-256 one (Qm…).
const PEER_ID = /^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{38,60}$/;
// A TCP multiaddr over IPv4, IPv6 or DNS: what Hearth's libp2p nodes listen on.
const ADDRESS = /^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d{1,5}$/;

/** Builds and signs our record. */
export function buildGossipRecord(options: {
  readonly serverName: string;
  readonly peerId: string;
  readonly addresses: readonly string[];
  readonly validUntilTs: number;
  readonly key: SigningKey;
}): GossipRecord {
  const unsigned = {
    server_name: options.serverName,
    peer_id: options.peerId,
    addresses: [...options.addresses],
    valid_until_ts: options.validUntilTs,
  };
  return signJson(unsigned, options.serverName, options.key) as unknown as GossipRecord;
}

/** Why a record was refused. */
export class GossipRecordError extends Error {
  override readonly name: string = "GossipRecordError";
}

/**
 * Verifies a record fetched from `serverName`: its shape, that it names `serverName`, that it is
 * still valid at `now` (and not valid for longer than {@link MAX_RECORD_VALIDITY_MS}), and that it
 * carries a valid signature by one of the server's current keys (`keys`: key ID → key). Returns the
 * record; throws {@link GossipRecordError} otherwise.
 */
export function verifyGossipRecord(
  value: unknown,
  serverName: string,
  keys: ReadonlyMap<string, KnownVerifyKey>,
  now: number,
): GossipRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GossipRecordError("the record is not an object");
  }
  const r = value as Record<string, unknown>;
  if (r.server_name !== serverName) throw new GossipRecordError(`the record does not name ${serverName}`);
  if (typeof r.peer_id !== "string" || !PEER_ID.test(r.peer_id)) {
    throw new GossipRecordError("peer_id is not a libp2p peer ID");
  }
  const addresses = r.addresses;
  if (
    !Array.isArray(addresses) ||
    addresses.length === 0 ||
    addresses.length > MAX_RECORD_ADDRESSES ||
    !addresses.every((a) => typeof a === "string" && a.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(a))
  ) {
    throw new GossipRecordError(`addresses must be 1 to ${MAX_RECORD_ADDRESSES} TCP multiaddrs`);
  }
  if (typeof r.valid_until_ts !== "number" || !Number.isSafeInteger(r.valid_until_ts)) {
    throw new GossipRecordError("valid_until_ts must be an integer");
  }
  if (r.valid_until_ts < now) throw new GossipRecordError("the record has expired");
  if (r.valid_until_ts > now + MAX_RECORD_VALIDITY_MS) {
    throw new GossipRecordError("the record claims validity for too long");
  }
  if (!signedByCurrentKey(r, serverName, keys, now)) {
    throw new GossipRecordError(`no valid signature by a current key of ${serverName}`);
  }
  return r as unknown as GossipRecord;
}

/**
 * Whether `value` carries a valid signature by `server` under one of `keys` (key ID → key) that is
 * current at `now`: not an old verify key, not past its validity.
 */
export function signedByCurrentKey(
  value: object,
  server: string,
  keys: ReadonlyMap<string, KnownVerifyKey>,
  now: number,
): boolean {
  const signatures = (value as { signatures?: Record<string, unknown> }).signatures?.[server];
  if (typeof signatures !== "object" || signatures === null) return false;
  for (const keyId of Object.keys(signatures)) {
    const key = keys.get(keyId);
    if (!key || key.expiredTs !== undefined || (key.validUntilTs !== undefined && key.validUntilTs < now))
      continue;
    if (verifyJson(value, server, keyId, key.publicKey)) return true;
  }
  return false;
}

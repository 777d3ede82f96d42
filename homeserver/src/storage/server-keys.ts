/**
 * Server key keyspaces ("Retrieving server keys"):
 * - `servername_keyid_key`: (server, key ID) → a remote server's verify key with its validity, as
 *   last fetched (directly or through a notary);
 * - `servername_keyresponse`: server → the last signed key response it published, verbatim, which
 *   this server serves again as a notary (`/_matrix/key/v2/query`);
 * - `keyid_oldverifykey`: key ID → one of our own former signing keys (public half), published in
 *   `old_verify_keys` after a rotation.
 */
import { decodeBase64, encodeBase64, type KnownVerifyKey, type VerifiedServerKeys } from "@hearth/federation";
import { type Database, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A remote verify key as stored. */
export interface RemoteKeyRecord {
  /** Unpadded Base64 public key. */
  readonly publicKey: string;
  /** Until when the key is valid (current keys; already capped at fetch time + 7 days). */
  readonly validUntilTs?: number;
  /** When the server stopped using it (old keys). */
  readonly expiredTs?: number;
  /** When we fetched it. */
  readonly fetchedTs: number;
}

/** A server's key response as stored for serving as a notary. */
export interface KeyResponseRecord {
  /** The response JSON, as received. */
  readonly json: string;
  /** Its `valid_until_ts` (capped). */
  readonly validUntilTs: number;
  readonly fetchedTs: number;
}

/** One of our own former signing keys. */
export interface OwnOldKeyRecord {
  readonly publicKey: string;
  readonly expiredTs: number;
}

/** Reads and writes server keys. */
export class ServerKeyStore {
  readonly #keys: Keyspace<RemoteKeyRecord>;
  readonly #responses: Keyspace<KeyResponseRecord>;
  readonly #oldKeys: Keyspace<OwnOldKeyRecord>;

  constructor(db: Database) {
    this.#keys = db.keyspace("servername_keyid_key");
    this.#responses = db.keyspace("servername_keyresponse");
    this.#oldKeys = db.keyspace("keyid_oldverifykey");
  }

  /** Every stored key of `serverName`, by key ID. */
  async keysOf(serverName: string): Promise<Map<string, RemoteKeyRecord>> {
    const out = new Map<string, RemoteKeyRecord>();
    for await (const [k, v] of this.#keys.iterator(prefixRange(serverName))) out.set(parts(k)[1]!, v);
    return out;
  }

  /** The last key response stored for `serverName`. */
  response(serverName: string): Promise<KeyResponseRecord | undefined> {
    return this.#responses.get(serverName);
  }

  /**
   * The operations that store a verified key response: each key it lists, and the response itself
   * (to serve again as a notary).
   */
  storeOps(verified: VerifiedServerKeys, fetchedTs: number): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const [keyId, k] of verified.verifyKeys) {
      ops.push(put(this.#keys, key(verified.serverName, keyId), toRecord(k, fetchedTs)));
    }
    ops.push(
      put(this.#responses, verified.serverName, {
        json: JSON.stringify(verified.raw),
        validUntilTs: verified.validUntilTs,
        fetchedTs,
      }),
    );
    return ops;
  }

  /** Our own former signing keys, by key ID. */
  async ownOldKeys(): Promise<Map<string, OwnOldKeyRecord>> {
    const out = new Map<string, OwnOldKeyRecord>();
    for await (const [k, v] of this.#oldKeys.iterator()) out.set(k, v);
    return out;
  }

  /** The operation that records one of our keys as retired at `expiredTs`. */
  ownOldKeyOps(keyId: string, publicKey: Uint8Array, expiredTs: number): WriteOp[] {
    return [put(this.#oldKeys, keyId, { publicKey: encodeBase64(publicKey), expiredTs })];
  }
}

/** A stored key as a {@link KnownVerifyKey}. */
export function fromRecord(record: RemoteKeyRecord): KnownVerifyKey {
  return {
    publicKey: decodeBase64(record.publicKey),
    ...(record.validUntilTs !== undefined ? { validUntilTs: record.validUntilTs } : {}),
    ...(record.expiredTs !== undefined ? { expiredTs: record.expiredTs } : {}),
  };
}

function toRecord(k: KnownVerifyKey, fetchedTs: number): RemoteKeyRecord {
  return {
    publicKey: encodeBase64(k.publicKey),
    ...(k.validUntilTs !== undefined ? { validUntilTs: k.validUntilTs } : {}),
    ...(k.expiredTs !== undefined ? { expiredTs: k.expiredTs } : {}),
    fetchedTs,
  };
}

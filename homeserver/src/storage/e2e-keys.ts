/**
 * End-to-end encryption keys (Client-Server API, "End-to-End Encryption", "Key management API"):
 * - `e2e_device_keys`: (user, device) → the device's signed identity keys, as uploaded;
 * - `e2e_one_time_keys`: (user, device, algorithm, key ID) → a one-time key, until claimed;
 * - `e2e_fallback_keys`: (user, device, algorithm) → the device's fallback key and whether it was used;
 * - `e2e_cross_signing`: (user, usage) → the user's master, self-signing or user-signing key;
 * - `e2e_signatures`: (target user, target key ID, signer user, signer key ID) → a signature uploaded
 *   later (`/keys/signatures/upload`) of a device key or a cross-signing key, merged in on reading.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A JSON object as uploaded. */
export type KeyObject = Record<string, unknown>;

/** A fallback key and whether it was handed out. */
export interface FallbackKey {
  readonly keyId: string;
  readonly key: unknown;
  readonly used: boolean;
}

/** The usages of cross-signing keys. */
export type CrossSigningUsage = "master" | "self_signing" | "user_signing";

/** Reads and writes end-to-end encryption keys. */
export class E2eKeyStore {
  readonly #deviceKeys: Keyspace<KeyObject>;
  readonly #oneTime: Keyspace<unknown>;
  readonly #fallback: Keyspace<FallbackKey>;
  readonly #crossSigning: Keyspace<KeyObject>;
  readonly #signatures: Keyspace<string>;

  constructor(db: Database) {
    this.#deviceKeys = db.keyspace("e2e_device_keys");
    this.#oneTime = db.keyspace("e2e_one_time_keys");
    this.#fallback = db.keyspace("e2e_fallback_keys");
    this.#crossSigning = db.keyspace("e2e_cross_signing");
    this.#signatures = db.keyspace("e2e_signatures");
  }

  /** A device's identity keys, without the signatures uploaded separately. */
  deviceKeys(userId: string, deviceId: string): Promise<KeyObject | undefined> {
    return this.#deviceKeys.get(key(userId, deviceId));
  }

  /** Every device's identity keys of a user, by device ID. */
  async devicesKeys(userId: string): Promise<Map<string, KeyObject>> {
    const out = new Map<string, KeyObject>();
    for await (const [k, v] of this.#deviceKeys.iterator(prefixRange(userId))) out.set(parts(k)[1]!, v);
    return out;
  }

  /** The users with at least one device's identity keys stored. */
  async usersWithDeviceKeys(): Promise<Set<string>> {
    const out = new Set<string>();
    for await (const k of this.#deviceKeys.keys()) out.add(parts(k)[0]!);
    return out;
  }

  setDeviceKeysOps(userId: string, deviceId: string, keys: KeyObject): WriteOp[] {
    return [put(this.#deviceKeys, key(userId, deviceId), keys)];
  }

  /** A one-time key, if still unclaimed. */
  oneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string): Promise<unknown> {
    return this.#oneTime.get(key(userId, deviceId, algorithm, keyId));
  }

  addOneTimeKeyOps(
    userId: string,
    deviceId: string,
    algorithm: string,
    keyId: string,
    value: unknown,
  ): WriteOp[] {
    return [put(this.#oneTime, key(userId, deviceId, algorithm, keyId), value)];
  }

  /** Unclaimed one-time keys of a device, per algorithm. */
  async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for await (const k of this.#oneTime.keys(prefixRange(userId, deviceId))) {
      const algorithm = parts(k)[2]!;
      counts[algorithm] = (counts[algorithm] ?? 0) + 1;
    }
    return counts;
  }

  /** The first unclaimed one-time key of `algorithm` (its key ID and value), and the op that claims it. */
  async firstOneTimeKey(
    userId: string,
    deviceId: string,
    algorithm: string,
  ): Promise<{ keyId: string; value: unknown; ops: WriteOp[] } | undefined> {
    for await (const [k, value] of this.#oneTime.iterator({
      ...prefixRange(userId, deviceId, algorithm),
      limit: 1,
    })) {
      return { keyId: parts(k)[3]!, value, ops: [del(this.#oneTime, k)] };
    }
    return undefined;
  }

  /** A device's fallback keys, per algorithm. */
  async fallbackKeys(userId: string, deviceId: string): Promise<Map<string, FallbackKey>> {
    const out = new Map<string, FallbackKey>();
    for await (const [k, v] of this.#fallback.iterator(prefixRange(userId, deviceId)))
      out.set(parts(k)[2]!, v);
    return out;
  }

  setFallbackKeyOps(userId: string, deviceId: string, algorithm: string, fallback: FallbackKey): WriteOp[] {
    return [put(this.#fallback, key(userId, deviceId, algorithm), fallback)];
  }

  /** The ops that forget everything of a deleted device (its identity, one-time and fallback keys). */
  async deleteDeviceOps(userId: string, deviceId: string): Promise<WriteOp[]> {
    const ops: WriteOp[] = [del(this.#deviceKeys, key(userId, deviceId))];
    for await (const k of this.#oneTime.keys(prefixRange(userId, deviceId))) ops.push(del(this.#oneTime, k));
    for await (const k of this.#fallback.keys(prefixRange(userId, deviceId)))
      ops.push(del(this.#fallback, k));
    for await (const k of this.#signatures.keys(prefixRange(userId, deviceId)))
      ops.push(del(this.#signatures, k));
    return ops;
  }

  /** A user's cross-signing key of one usage. */
  crossSigningKey(userId: string, usage: CrossSigningUsage): Promise<KeyObject | undefined> {
    return this.#crossSigning.get(key(userId, usage));
  }

  setCrossSigningKeyOps(userId: string, usage: CrossSigningUsage, value: KeyObject): WriteOp[] {
    return [put(this.#crossSigning, key(userId, usage), value)];
  }

  /** Signatures uploaded for a key (a device ID or a cross-signing public key): signer → key ID → signature. */
  async signaturesOf(userId: string, keyId: string): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for await (const [k, sig] of this.#signatures.iterator(prefixRange(userId, keyId))) {
      const [, , signer, signerKeyId] = parts(k);
      out[signer!] = { ...out[signer!], [signerKeyId!]: sig };
    }
    return out;
  }

  addSignatureOps(
    userId: string,
    keyId: string,
    signer: string,
    signerKeyId: string,
    sig: string,
  ): WriteOp[] {
    return [put(this.#signatures, key(userId, keyId, signer, signerKeyId), sig)];
  }
}

/**
 * End-to-end encryption key management (Client-Server API, "Key management API" and
 * "Cross-signing"; Server-Server API, "End-to-End Encryption"): the server stores and hands out keys
 * it cannot use itself. Device identity keys, one-time keys and fallback keys per device;
 * cross-signing keys per user; signatures uploaded later. Queries and claims for other servers'
 * users go to those servers.
 */
import { MatrixError } from "@hearth/federation";
import { isJsonObject } from "../../http/validate.js";
import type { Database, WriteOp } from "../../storage/db.js";
import type { CrossSigningUsage, E2eKeyStore, KeyObject } from "../../storage/e2e-keys.js";
import { KeyedMutex } from "../keyed-mutex.js";

/** What the key service needs. */
export interface E2eKeyDeps {
  readonly serverName: string;
  readonly db: Database;
  readonly store: E2eKeyStore;
  /** A local user's current devices. */
  readonly devicesOf: (userId: string) => Promise<Array<{ device_id: string; display_name?: string }>>;
  /** A local user's keys changed: clients and servers sharing a room must hear of it. */
  readonly keysChanged: (userId: string) => Promise<void>;
  /**
   * `signer` signed other users' master keys (with its user-signing key): only `signer` sees those
   * signatures, so only its clients are told (`device_lists.changed`), not everyone sharing a room
   * with the users signed.
   */
  readonly othersSigned?: (signer: string, targets: readonly string[]) => Promise<void>;
  /** A local user's master or self-signing key changed (`m.signing_key_update` to other servers). */
  readonly signingKeysChanged?: (
    userId: string,
    keys: { master_key?: KeyObject; self_signing_key?: KeyObject },
  ) => void;
  /** A federation request (`POST path` with `body`) to `server`; undefined without federation. */
  readonly remote?: (server: string, path: string, body: unknown, timeoutMs: number) => Promise<unknown>;
}

/** A key query's or claim's answer for other servers' users, and the servers that failed. */
type Failures = Record<string, Record<string, unknown>>;

const USAGES: readonly CrossSigningUsage[] = ["master", "self_signing", "user_signing"];
/** Devices whose key counts are kept in memory. */
const MAX_CACHED_COUNTS = 50_000;

function deviceKey(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}
const DEFAULT_TIMEOUT_MS = 10_000;

function domainOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (!isJsonObject(v)) throw new MatrixError("M_BAD_JSON", `${what} must be an object`);
  return v;
}

/** Merges signatures (signer → key ID → signature) into a key object's `signatures`. */
function withSignatures(keys: KeyObject, extra: Record<string, Record<string, string>>): KeyObject {
  if (Object.keys(extra).length === 0) return keys;
  const signatures: Record<string, Record<string, unknown>> = {};
  for (const [signer, sigs] of Object.entries(isJsonObject(keys.signatures) ? keys.signatures : {})) {
    signatures[signer] = { ...(isJsonObject(sigs) ? sigs : {}) };
  }
  for (const [signer, sigs] of Object.entries(extra)) signatures[signer] = { ...signatures[signer], ...sigs };
  return { ...keys, signatures };
}

/** The public key (unpadded base64) of a cross-signing key: its one `keys` entry. */
function publicKeyOf(k: KeyObject): string | undefined {
  const keys = isJsonObject(k.keys) ? Object.values(k.keys) : [];
  return keys.length === 1 && typeof keys[0] === "string" ? keys[0] : undefined;
}

/** Groups `{userId: x}` by the users' servers. */
function byServer<T>(entries: Record<string, T>): Map<string, Record<string, T>> {
  const out = new Map<string, Record<string, T>>();
  for (const [userId, v] of Object.entries(entries)) {
    const server = domainOf(userId);
    const group = out.get(server) ?? {};
    group[userId] = v;
    out.set(server, group);
  }
  return out;
}

/** Device, one-time, fallback and cross-signing keys. */
export class E2eKeyService {
  /** Claims run one at a time, so that a one-time key is never handed out twice. */
  readonly #claims = new KeyedMutex();
  /** `syncCounts` per device (oldest first, bounded). */
  readonly #counts = new Map<
    string,
    { oneTimeKeyCounts: Record<string, number>; unusedFallbackKeyTypes: string[] }
  >();
  /** Uploads and claims in progress per device: counts read meanwhile wait for them. */
  readonly #changing = new Map<string, Set<Promise<unknown>>>();
  /** Bumped whenever counts may change: a read that saw it change does not fill the cache. */
  #epoch = 0;
  /** Uploads of one device run one at a time. */
  readonly #uploads = new KeyedMutex();

  /** Users with device keys stored (loaded by {@link start}), so that most device changes read nothing. */
  #keyedUsers = new Set<string>();

  constructor(private readonly deps: E2eKeyDeps) {}

  /** Loads what the service keeps in memory. */
  async start(): Promise<void> {
    this.#keyedUsers = await this.deps.store.usersWithDeviceKeys();
  }

  #isLocal(userId: string): boolean {
    return domainOf(userId) === this.deps.serverName;
  }

  // -------------------------------------------------------------------------------------------
  // Upload
  // -------------------------------------------------------------------------------------------

  /**
   * Marks a device's keys as changing until `done` settles: its cached counts are dropped now and
   * then, and {@link syncCounts} waits for `done` before reading.
   */
  #change(userId: string, deviceId: string, done: Promise<unknown>): void {
    const k = deviceKey(userId, deviceId);
    this.#invalidate(k);
    const set = this.#changing.get(k) ?? new Set<Promise<unknown>>();
    this.#changing.set(k, set);
    set.add(done);
    const finish = () => {
      set.delete(done);
      if (set.size === 0 && this.#changing.get(k) === set) this.#changing.delete(k);
      this.#invalidate(k);
    };
    done.then(finish, finish);
  }

  #invalidate(k: string): void {
    this.#counts.delete(k);
    this.#epoch++;
  }

  /** `POST /keys/upload`: the device's identity keys, one-time keys and fallback keys. */
  async upload(
    userId: string,
    deviceId: string,
    body: Record<string, unknown>,
  ): Promise<{ one_time_key_counts: Record<string, number> }> {
    const work = this.#uploads.run(deviceKey(userId, deviceId), () => this.#upload(userId, deviceId, body));
    this.#change(userId, deviceId, work);
    await work;
    return { one_time_key_counts: (await this.syncCounts(userId, deviceId)).oneTimeKeyCounts };
  }

  async #upload(userId: string, deviceId: string, body: Record<string, unknown>): Promise<void> {
    const { store } = this.deps;
    const ops: WriteOp[] = [];
    let identityChanged = false;
    if (body.device_keys !== undefined) {
      const dk = object(body.device_keys, "device_keys");
      if (dk.user_id !== userId || dk.device_id !== deviceId) {
        throw new MatrixError("M_INVALID_PARAM", "device_keys must name your user and this device");
      }
      if (!Array.isArray(dk.algorithms) || !dk.algorithms.every((a) => typeof a === "string")) {
        throw new MatrixError("M_BAD_JSON", "device_keys.algorithms must be a list of strings");
      }
      if (!isJsonObject(dk.keys) || !Object.values(dk.keys).every((k) => typeof k === "string")) {
        throw new MatrixError("M_BAD_JSON", "device_keys.keys must map key IDs to keys");
      }
      if (!isJsonObject(dk.signatures))
        throw new MatrixError("M_BAD_JSON", "device_keys.signatures must be an object");
      const { unsigned: _unsigned, ...keys } = dk;
      const old = await store.deviceKeys(userId, deviceId);
      if (JSON.stringify(old) !== JSON.stringify(keys)) {
        ops.push(...store.setDeviceKeysOps(userId, deviceId, keys));
        identityChanged = true;
        this.#keyedUsers.add(userId);
      }
    }
    if (body.one_time_keys !== undefined) {
      for (const [id, value] of Object.entries(object(body.one_time_keys, "one_time_keys"))) {
        const [algorithm, keyId] = splitKeyId(id);
        const old = await store.oneTimeKey(userId, deviceId, algorithm, keyId);
        if (old !== undefined) {
          if (JSON.stringify(old) === JSON.stringify(value)) continue;
          throw new MatrixError("M_INVALID_PARAM", `One-time key ${id} already exists with another value`);
        }
        ops.push(...store.addOneTimeKeyOps(userId, deviceId, algorithm, keyId, value));
      }
    }
    // `fallback_keys` (and the name MSC2732 used, which older clients send).
    const fallback = body.fallback_keys ?? body["org.matrix.msc2732.fallback_keys"];
    if (fallback !== undefined) {
      for (const [id, value] of Object.entries(object(fallback, "fallback_keys"))) {
        const [algorithm, keyId] = splitKeyId(id);
        const old = (await store.fallbackKeys(userId, deviceId)).get(algorithm);
        if (old?.keyId === keyId && JSON.stringify(old.key) === JSON.stringify(value)) continue;
        ops.push(...store.setFallbackKeyOps(userId, deviceId, algorithm, { keyId, key: value, used: false }));
      }
    }
    await this.deps.db.write(ops);
    if (ops.length > 0) this.#keyedUsers.add(userId);
    if (identityChanged) await this.deps.keysChanged(userId);
  }

  /**
   * What `/sync` says of a device's keys: unclaimed one-time keys per algorithm
   * (`signed_curve25519` always listed, as clients expect) and the algorithms of fallback keys not
   * handed out yet. Kept in memory per device and dropped when its keys change: every sync asks,
   * and reading the store each time (two range scans) cost about 20 MB with 1 000 idle clients.
   */
  async syncCounts(
    userId: string,
    deviceId: string,
  ): Promise<{ oneTimeKeyCounts: Record<string, number>; unusedFallbackKeyTypes: string[] }> {
    // A user without device keys has uploaded nothing (clients send device keys first).
    const k = deviceKey(userId, deviceId);
    for (let changing = this.#changing.get(k); changing; changing = this.#changing.get(k)) {
      await Promise.allSettled(changing);
    }
    if (!this.#keyedUsers.has(userId))
      return { oneTimeKeyCounts: { signed_curve25519: 0 }, unusedFallbackKeyTypes: [] };
    const cached = this.#counts.get(k);
    if (cached) return cached;
    const epoch = this.#epoch;
    const fallback = await this.deps.store.fallbackKeys(userId, deviceId);
    const counts = {
      oneTimeKeyCounts: {
        signed_curve25519: 0,
        ...(await this.deps.store.oneTimeKeyCounts(userId, deviceId)),
      },
      unusedFallbackKeyTypes: [...fallback].filter(([, f]) => !f.used).map(([algorithm]) => algorithm),
    };
    // Keys that changed during the reads may be half seen: answer, but do not keep.
    if (epoch !== this.#epoch) return counts;
    if (this.#counts.size >= MAX_CACHED_COUNTS) this.#counts.delete(this.#counts.keys().next().value!);
    this.#counts.set(k, counts);
    return counts;
  }

  /** Forgets the keys of devices the user no longer has (after a device was deleted). */
  async forgetDeletedDevices(userId: string): Promise<void> {
    if (!this.#keyedUsers.has(userId)) return;
    const current = new Set((await this.deps.devicesOf(userId)).map((d) => d.device_id));
    const ops: WriteOp[] = [];
    const gone: string[] = [];
    for (const deviceId of (await this.deps.store.devicesKeys(userId)).keys()) {
      if (!current.has(deviceId)) {
        ops.push(...(await this.deps.store.deleteDeviceOps(userId, deviceId)));
        gone.push(deviceId);
      }
    }
    const written = this.deps.db.write(ops);
    for (const deviceId of gone) this.#change(userId, deviceId, written);
    await written;
  }

  // -------------------------------------------------------------------------------------------
  // Cross-signing
  // -------------------------------------------------------------------------------------------

  /**
   * Whether uploading `body` needs user-interactive auth ("Cross-signing"): not when the user has no
   * master key yet, nor when the request carries exactly the master key already held.
   */
  async crossSigningUploadNeedsAuth(userId: string, body: Record<string, unknown>): Promise<boolean> {
    const held = await this.deps.store.crossSigningKey(userId, "master");
    if (!held) return false;
    return body.master_key === undefined || JSON.stringify(strip(body.master_key)) !== JSON.stringify(held);
  }

  /** `POST /keys/device_signing/upload`: the user's master, self-signing and user-signing keys. */
  async uploadCrossSigning(userId: string, body: Record<string, unknown>): Promise<void> {
    const { store } = this.deps;
    const given = new Map<CrossSigningUsage, KeyObject>();
    for (const usage of USAGES) {
      const value = body[`${usage}_key`];
      if (value === undefined) continue;
      const k = strip(object(value, `${usage}_key`));
      if (k.user_id !== userId) throw new MatrixError("M_INVALID_PARAM", `${usage}_key must name your user`);
      if (!Array.isArray(k.usage) || !k.usage.includes(usage)) {
        throw new MatrixError("M_INVALID_PARAM", `${usage}_key must have the usage ${usage}`);
      }
      if (publicKeyOf(k) === undefined)
        throw new MatrixError("M_INVALID_PARAM", `${usage}_key must hold one key`);
      given.set(usage, k);
    }
    if (given.size === 0) return;
    if (!given.has("master") && !(await store.crossSigningKey(userId, "master"))) {
      throw new MatrixError("M_MISSING_PARAM", "Upload a master key first");
    }
    const ops: WriteOp[] = [];
    for (const [usage, k] of given) ops.push(...store.setCrossSigningKeyOps(userId, usage, k));
    await this.deps.db.write(ops);
    await this.deps.keysChanged(userId);
    const shared: { master_key?: KeyObject; self_signing_key?: KeyObject } = {};
    const master = given.get("master");
    const selfSigning = given.get("self_signing");
    if (master) shared.master_key = master;
    if (selfSigning) shared.self_signing_key = selfSigning;
    if (master || selfSigning) this.deps.signingKeysChanged?.(userId, shared);
  }

  /**
   * `POST /keys/signatures/upload`: signatures by the requester of its own devices and cross-signing
   * keys, or of other users' master keys. Each signed object must be the stored one with new
   * signatures; the signatures themselves are not verified (as Synapse, clients verify them).
   */
  async uploadSignatures(
    userId: string,
    body: Record<string, unknown>,
  ): Promise<{ failures: Record<string, Record<string, unknown>> }> {
    const { store } = this.deps;
    const failures: Record<string, Record<string, unknown>> = {};
    const fail = (target: string, keyId: string, errcode: string, error: string) => {
      failures[target] = { ...failures[target], [keyId]: { errcode, error } };
    };
    const ops: WriteOp[] = [];
    const changed = new Set<string>();
    for (const [target, objects] of Object.entries(body)) {
      if (!isJsonObject(objects)) continue;
      for (const [keyId, signed] of Object.entries(objects)) {
        if (!isJsonObject(signed) || !isJsonObject(signed.signatures)) {
          fail(target, keyId, "M_INVALID_SIGNATURE", "No signatures");
          continue;
        }
        const mine = signed.signatures[userId];
        if (!isJsonObject(mine) || Object.keys(mine).length === 0) {
          fail(target, keyId, "M_INVALID_SIGNATURE", "No signature by you");
          continue;
        }
        if (!this.#isLocal(target)) {
          // Another server's user: their master key, as the signed object shows it. The signature
          // stays here, shown only to the signer and only on a master key with that public key (see
          // query), so the other server's copy need not be fetched to check it.
          const masterKey =
            signed.user_id === target &&
            Array.isArray(signed.usage) &&
            signed.usage.includes("master") &&
            publicKeyOf(signed) === keyId;
          if (!masterKey) {
            fail(target, keyId, "M_FORBIDDEN", "You may sign only other users' master keys");
            continue;
          }
        } else if (target !== userId && !(await this.#isMasterKey(target, keyId))) {
          fail(target, keyId, "M_FORBIDDEN", "You may sign only your own keys and other users' master keys");
          continue;
        } else if (
          !(await store.deviceKeys(target, keyId)) &&
          !(await this.#isCrossSigningKey(target, keyId))
        ) {
          fail(target, keyId, "M_NOT_FOUND", "Unknown key");
          continue;
        }
        for (const [signerKeyId, sig] of Object.entries(mine)) {
          if (typeof sig === "string")
            ops.push(...store.addSignatureOps(target, keyId, userId, signerKeyId, sig));
        }
        changed.add(target);
      }
    }
    await this.deps.db.write(ops);
    // Signatures of one's own keys are seen by everyone who sees the keys; signatures of other users'
    // master keys only by the signer ("Cross-signing": the user-signing key is private to its user).
    if (changed.delete(userId)) await this.deps.keysChanged(userId);
    if (changed.size > 0) await this.deps.othersSigned?.(userId, [...changed]);
    return { failures };
  }

  async #isCrossSigningKey(userId: string, publicKey: string): Promise<boolean> {
    for (const usage of USAGES) {
      const k = await this.deps.store.crossSigningKey(userId, usage);
      if (k && publicKeyOf(k) === publicKey) return true;
    }
    return false;
  }

  async #isMasterKey(userId: string, publicKey: string): Promise<boolean> {
    const k = await this.deps.store.crossSigningKey(userId, "master");
    return k !== undefined && publicKeyOf(k) === publicKey;
  }

  /**
   * A local user's cross-signing key with the signatures uploaded later that `requester` may see:
   * the user's own, and the requester's (`/keys/query`: "the signatures uploaded via
   * `/keys/signatures/upload` that the requesting user is allowed to see"). A signature of another
   * user's master key is made with the signer's user-signing key, which only the signer sees, so
   * nobody else is shown it (as Synapse).
   */
  async #crossSigningKey(
    userId: string,
    usage: CrossSigningUsage,
    requester: string | undefined,
  ): Promise<KeyObject | undefined> {
    const k = await this.deps.store.crossSigningKey(userId, usage);
    if (!k) return undefined;
    const all = await this.deps.store.signaturesOf(userId, publicKeyOf(k) ?? "");
    const visible = Object.fromEntries(
      Object.entries(all).filter(([signer]) => signer === userId || signer === requester),
    );
    return withSignatures(k, visible);
  }

  // -------------------------------------------------------------------------------------------
  // Query and claim
  // -------------------------------------------------------------------------------------------

  /**
   * A local user's devices' keys (the wanted ones, or all), with signatures and, as `/keys/query`
   * answers them, "the same as uploaded via `/keys/upload`, with the addition of an `unsigned`
   * property": `{device_display_name}` when the device has a name, `{}` otherwise.
   */
  async localDeviceKeys(userId: string, wanted?: readonly string[]): Promise<Record<string, KeyObject>> {
    // Most device changes (every login) are of users who never uploaded keys: nothing to read.
    if (!this.#keyedUsers.has(userId)) return {};
    const { store } = this.deps;
    const devices = new Map((await this.deps.devicesOf(userId)).map((d) => [d.device_id, d] as const));
    const only = wanted && wanted.length > 0 ? new Set(wanted) : undefined;
    const out: Record<string, KeyObject> = {};
    for (const [deviceId, keys] of await store.devicesKeys(userId)) {
      const device = devices.get(deviceId);
      if (!device || (only && !only.has(deviceId))) continue;
      const signed = withSignatures(keys, await store.signaturesOf(userId, deviceId));
      out[deviceId] = {
        ...signed,
        unsigned: device.display_name !== undefined ? { device_display_name: device.display_name } : {},
      };
    }
    return out;
  }

  /**
   * Keys of local users, as `POST /keys/query` and `POST /user/keys/query` answer them;
   * `user_signing_keys` only for `requester` itself.
   */
  async queryLocal(
    wanted: Record<string, unknown>,
    requester?: string,
  ): Promise<{
    device_keys: Record<string, Record<string, KeyObject>>;
    master_keys: Record<string, KeyObject>;
    self_signing_keys: Record<string, KeyObject>;
    user_signing_keys: Record<string, KeyObject>;
  }> {
    const out = {
      device_keys: {} as Record<string, Record<string, KeyObject>>,
      master_keys: {} as Record<string, KeyObject>,
      self_signing_keys: {} as Record<string, KeyObject>,
      user_signing_keys: {} as Record<string, KeyObject>,
    };
    for (const [userId, devices] of Object.entries(wanted)) {
      if (!this.#isLocal(userId)) continue;
      const list = Array.isArray(devices) ? devices.filter((d): d is string => typeof d === "string") : [];
      out.device_keys[userId] = await this.localDeviceKeys(userId, list);
      const master = await this.#crossSigningKey(userId, "master", requester);
      if (master) out.master_keys[userId] = master;
      const selfSigning = await this.#crossSigningKey(userId, "self_signing", requester);
      if (selfSigning) out.self_signing_keys[userId] = selfSigning;
      if (userId === requester) {
        const userSigning = await this.#crossSigningKey(userId, "user_signing", requester);
        if (userSigning) out.user_signing_keys[userId] = userSigning;
      }
    }
    return out;
  }

  /** `POST /keys/query`: local users from storage, other servers' users from their servers. */
  async query(requester: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const wanted = object(body.device_keys, "device_keys");
    const timeout = timeoutOf(body.timeout);
    const out: Record<string, Record<string, unknown>> & { failures: Failures } = {
      ...(await this.queryLocal(wanted, requester)),
      failures: {},
    };
    out.failures = await this.#askServers(
      wanted,
      "/_matrix/federation/v1/user/keys/query",
      "device_keys",
      timeout,
      (server, users, answer) => {
        for (const field of ["device_keys", "master_keys", "self_signing_keys"] as const) {
          const part = isJsonObject(answer[field]) ? answer[field] : {};
          // Only the answering server's own users.
          for (const [userId, v] of Object.entries(part)) {
            if (domainOf(userId) === server && userId in users && isJsonObject(v)) out[field]![userId] = v;
          }
        }
      },
    );
    // The requester's own signatures of other servers' users' master keys are kept here.
    const masters = out.master_keys as Record<string, KeyObject>;
    for (const [userId, master] of Object.entries(masters)) {
      const publicKey = publicKeyOf(master);
      if (this.#isLocal(userId) || publicKey === undefined) continue;
      const mine = (await this.deps.store.signaturesOf(userId, publicKey))[requester];
      if (mine) masters[userId] = withSignatures(master, { [requester]: mine });
    }
    return out;
  }

  /** Claims one key of each wanted (user, device, algorithm) of local users. */
  async claimLocal(
    wanted: Record<string, unknown>,
  ): Promise<Record<string, Record<string, Record<string, unknown>>>> {
    const run = async () => {
      const { store } = this.deps;
      const out: Record<string, Record<string, Record<string, unknown>>> = {};
      const ops: WriteOp[] = [];
      let written!: () => void;
      const done = new Promise<void>((resolve) => {
        written = resolve;
      });
      try {
        for (const [userId, devices] of Object.entries(wanted)) {
          if (!this.#isLocal(userId) || !isJsonObject(devices)) continue;
          for (const [deviceId, algorithm] of Object.entries(devices)) {
            if (typeof algorithm !== "string") continue;
            const otk = await store.firstOneTimeKey(userId, deviceId, algorithm);
            let claimed: [string, unknown] | undefined;
            if (otk) {
              ops.push(...otk.ops);
              claimed = [`${algorithm}:${otk.keyId}`, otk.value];
            } else {
              // No one-time key left: the fallback key, marked used ("One-time and fallback keys").
              const fb = (await store.fallbackKeys(userId, deviceId)).get(algorithm);
              if (fb) {
                ops.push(...store.setFallbackKeyOps(userId, deviceId, algorithm, { ...fb, used: true }));
                claimed = [`${algorithm}:${fb.keyId}`, fb.key];
              }
            }
            if (claimed) {
              this.#change(userId, deviceId, done);
              const user = out[userId] ?? {};
              user[deviceId] = { ...user[deviceId], [claimed[0]]: claimed[1] };
              out[userId] = user;
            }
          }
        }
        await this.deps.db.write(ops);
      } finally {
        written();
      }
      return out;
    };
    return this.#claims.run("claims", run);
  }

  /** `POST /keys/claim`. */
  async claim(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const wanted = object(body.one_time_keys, "one_time_keys");
    const timeout = timeoutOf(body.timeout);
    const oneTimeKeys = await this.claimLocal(wanted);
    const failures = await this.#askServers(
      wanted,
      "/_matrix/federation/v1/user/keys/claim",
      "one_time_keys",
      timeout,
      (server, users, answer) => {
        const part = isJsonObject(answer.one_time_keys) ? answer.one_time_keys : {};
        for (const [userId, v] of Object.entries(part)) {
          if (domainOf(userId) === server && userId in users && isJsonObject(v)) {
            oneTimeKeys[userId] = v as Record<string, Record<string, unknown>>;
          }
        }
      },
    );
    return { one_time_keys: oneTimeKeys, failures };
  }

  /**
   * Asks every other server named in `wanted` (user ID → what is wanted of them) in parallel, with
   * its users under `field`, and hands each answer to `take`; returns the servers that failed.
   */
  async #askServers(
    wanted: Record<string, unknown>,
    path: string,
    field: string,
    timeoutMs: number,
    take: (server: string, users: Record<string, unknown>, answer: Record<string, unknown>) => void,
  ): Promise<Failures> {
    const failures: Failures = {};
    const remote = [...byServer(wanted)].filter(([server]) => server !== this.deps.serverName);
    await Promise.all(
      remote.map(async ([server, users]) => {
        try {
          if (!this.deps.remote) throw new Error("federation is not enabled");
          const answer = await this.deps.remote(server, path, { [field]: users }, timeoutMs);
          if (!isJsonObject(answer)) throw new Error("not a JSON object");
          take(server, users, answer);
        } catch (e) {
          failures[server] = failureOf(e);
        }
      }),
    );
    return failures;
  }
}

/** `algorithm:id`, split at the first colon. */
function splitKeyId(id: string): [string, string] {
  const i = id.indexOf(":");
  if (i <= 0 || i === id.length - 1) throw new MatrixError("M_INVALID_PARAM", `Invalid key ID ${id}`);
  return [id.slice(0, i), id.slice(i + 1)];
}

/** A key object without `unsigned` (which is not part of what was signed). */
function strip(k: unknown): KeyObject {
  const { unsigned: _u, ...rest } = (isJsonObject(k) ? k : {}) as KeyObject;
  return rest;
}

function timeoutOf(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(v, 60_000) : DEFAULT_TIMEOUT_MS;
}

function failureOf(e: unknown): Record<string, unknown> {
  const status = (e as { status?: unknown }).status;
  return {
    ...(typeof status === "number" ? { status } : {}),
    message: (e as Error).message ?? String(e),
  };
}

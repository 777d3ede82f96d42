/**
 * Server-side key backups (Client-Server API, "Server-side key backups"): a user's backup versions
 * (`/room_keys/version`) and the encrypted room keys in them (`/room_keys/keys`). The server never
 * sees inside: it keeps, per session, the better of two keys as the spec orders it (verified over
 * unverified, then the lower `first_message_index`, then the lower `forwarded_count`). Only the
 * latest version takes keys (else 403 `M_WRONG_ROOM_KEYS_VERSION`); deleting a version deletes its keys.
 *
 * `auth_data` and `session_data` are algorithm-dependent. For the one algorithm the spec defines,
 * `m.megolm_backup.v1.curve25519-aes-sha2`, `auth_data` must be an `AuthData` object (a `public_key`
 * string, `signatures` an object when present) and `session_data` an object. The spec lists no other
 * algorithm and does not say to refuse one, so other algorithms are kept as given, with their data
 * opaque (any JSON value), as Synapse does.
 */
import { MatrixError } from "@hearth/federation";
import { isJsonObject } from "../../http/validate.js";
import type { Database, WriteOp } from "../../storage/db.js";
import type { BackupVersionRecord, KeyBackupData, RoomKeyStore } from "../../storage/room-keys.js";
import { KeyedMutex } from "../keyed-mutex.js";

type KeyData = KeyBackupData & {
  first_message_index?: unknown;
  forwarded_count?: unknown;
  is_verified?: unknown;
};

/** Whether `incoming` should replace `existing` (the spec's order of preference). */
function better(incoming: KeyData, existing: KeyData | undefined): boolean {
  if (!existing) return true;
  const verified = (k: KeyData) => k.is_verified === true;
  if (verified(incoming) !== verified(existing)) return verified(incoming);
  const n = (v: unknown) => (typeof v === "number" ? v : Number.MAX_SAFE_INTEGER);
  if (n(incoming.first_message_index) !== n(existing.first_message_index)) {
    return n(incoming.first_message_index) < n(existing.first_message_index);
  }
  return n(incoming.forwarded_count) < n(existing.forwarded_count);
}

/** The backup algorithm the spec defines ("Backup algorithm: m.megolm_backup.v1.curve25519-aes-sha2"). */
export const CURVE25519_AES_SHA2 = "m.megolm_backup.v1.curve25519-aes-sha2";

/**
 * Checks a version's `auth_data` for its algorithm: an `AuthData` object for
 * {@link CURVE25519_AES_SHA2}; any JSON value for algorithms the spec does not define.
 */
function checkAuthData(algorithm: string, authData: unknown): void {
  if (algorithm !== CURVE25519_AES_SHA2) {
    // NOTSPEC: the schema types `auth_data` as an object, but its content is algorithm-dependent and
    // the spec defines no other algorithm; SyTest's backup tests create `m.megolm_backup.v1` with a
    // string, which Synapse keeps. Other algorithms' data is kept as given.
    if (authData === undefined || authData === null) {
      throw new MatrixError("M_MISSING_PARAM", "auth_data is required");
    }
    return;
  }
  if (!isJsonObject(authData)) throw new MatrixError("M_BAD_JSON", "auth_data must be an object");
  if (typeof authData.public_key !== "string" || authData.public_key === "") {
    throw new MatrixError("M_BAD_JSON", `auth_data.public_key is required for ${CURVE25519_AES_SHA2}`);
  }
  if (authData.signatures !== undefined && !isJsonObject(authData.signatures)) {
    throw new MatrixError("M_BAD_JSON", "auth_data.signatures must be an object");
  }
}

function checkKeyData(v: unknown, algorithm: string, where: string): KeyData {
  if (
    !isJsonObject(v) ||
    typeof v.first_message_index !== "number" ||
    typeof v.forwarded_count !== "number"
  ) {
    throw new MatrixError(
      "M_BAD_JSON",
      `${where}: key data needs first_message_index, forwarded_count, is_verified, session_data`,
    );
  }
  if (typeof v.is_verified !== "boolean" || v.session_data === undefined || v.session_data === null) {
    throw new MatrixError("M_BAD_JSON", `${where}: key data needs is_verified and session_data`);
  }
  // session_data is algorithm-dependent: an object for the spec's algorithm, opaque otherwise.
  if (algorithm === CURVE25519_AES_SHA2 && !isJsonObject(v.session_data)) {
    throw new MatrixError("M_BAD_JSON", `${where}: session_data must be an object`);
  }
  return v as KeyData;
}

/** Backup versions and keys. */
export class KeyBackupService {
  /** Writes of one user run one at a time (read-compare-write of keys and etags). */
  readonly #locks = new KeyedMutex();

  constructor(
    private readonly db: Database,
    private readonly store: RoomKeyStore,
  ) {}

  async #version(userId: string, version: string): Promise<{ version: number; record: BackupVersionRecord }> {
    const n = /^\d{1,15}$/.test(version) ? Number(version) : undefined;
    const record = n !== undefined ? await this.store.version(userId, n) : undefined;
    if (!record || record.deleted) throw new MatrixError("M_NOT_FOUND", "Unknown backup version");
    return { version: n!, record };
  }

  async #info(userId: string, v: { version: number; record: BackupVersionRecord }) {
    return {
      algorithm: v.record.algorithm,
      auth_data: v.record.auth_data,
      count: await this.store.count(userId, v.version),
      etag: String(v.record.etag),
      version: String(v.version),
    };
  }

  /** `POST /room_keys/version`. */
  createVersion(userId: string, body: Record<string, unknown>): Promise<{ version: string }> {
    const { algorithm, auth_data: authData } = body;
    if (typeof algorithm !== "string" || algorithm === "") {
      throw new MatrixError("M_MISSING_PARAM", "algorithm (a string) is required");
    }
    checkAuthData(algorithm, authData);
    return this.#locks.run(userId, async () => {
      const version = (await this.store.lastNumber(userId)) + 1;
      await this.db.write(
        this.store.putVersionOps(userId, version, { algorithm, auth_data: authData, etag: 0 }),
      );
      return { version: String(version) };
    });
  }

  /** `GET /room_keys/version[/{version}]`. */
  async getVersion(userId: string, version?: string) {
    const v = version === undefined ? await this.store.latest(userId) : await this.#version(userId, version);
    if (!v) throw new MatrixError("M_NOT_FOUND", "No current backup version");
    return this.#info(userId, v);
  }

  /** `PUT /room_keys/version/{version}`: only `auth_data` may change. */
  updateVersion(userId: string, version: string, body: Record<string, unknown>): Promise<void> {
    return this.#locks.run(userId, async () => {
      const v = await this.#version(userId, version);
      if (body.version !== undefined && body.version !== version) {
        throw new MatrixError("M_INVALID_PARAM", "The version in the body does not match the path");
      }
      if (body.algorithm !== v.record.algorithm)
        throw new MatrixError("M_INVALID_PARAM", "The algorithm cannot change");
      checkAuthData(v.record.algorithm, body.auth_data);
      await this.db.write(
        this.store.putVersionOps(userId, v.version, { ...v.record, auth_data: body.auth_data }),
      );
    });
  }

  /** `DELETE /room_keys/version/{version}`: the version and its keys. */
  deleteVersion(userId: string, version: string): Promise<void> {
    return this.#locks.run(userId, async () => {
      const v = await this.#version(userId, version);
      const ops = this.store.putVersionOps(userId, v.version, { ...v.record, deleted: true });
      for (const k of await this.store.keys(userId, v.version))
        ops.push(...this.store.deleteKeyOps(userId, v.version, k));
      await this.db.write(ops);
    });
  }

  /**
   * `PUT /room_keys/keys[/{roomId}[/{sessionId}]]`: `rooms` is room → session → key data. Only the
   * latest version takes keys.
   */
  putKeys(
    userId: string,
    version: string | undefined,
    rooms: Record<string, Record<string, unknown>>,
  ): Promise<{ count: number; etag: string }> {
    return this.#locks.run(userId, async () => {
      if (version === undefined) throw new MatrixError("M_MISSING_PARAM", "version is required");
      const latest = await this.store.latest(userId);
      if (!latest || String(latest.version) !== version) {
        await this.#version(userId, version);
        throw new MatrixError("M_WRONG_ROOM_KEYS_VERSION", "Not the current backup version", {
          current_version: latest ? String(latest.version) : null,
        });
      }
      const ops: WriteOp[] = [];
      for (const [roomId, sessions] of Object.entries(rooms)) {
        for (const [sessionId, data] of Object.entries(sessions)) {
          const incoming = checkKeyData(data, latest.record.algorithm, `${roomId}/${sessionId}`);
          const existing = await this.store.getKey(userId, latest.version, roomId, sessionId);
          if (better(incoming, existing))
            ops.push(...this.store.putKeyOps(userId, latest.version, roomId, sessionId, incoming));
        }
      }
      return this.#bumpEtag(userId, latest, ops);
    });
  }

  /** Writes `ops` with the version's etag bumped (nothing when there are none); the new count and etag. */
  async #bumpEtag(
    userId: string,
    v: { version: number; record: BackupVersionRecord },
    ops: WriteOp[],
  ): Promise<{ count: number; etag: string }> {
    let etag = v.record.etag;
    if (ops.length > 0) {
      etag++;
      await this.db.write([...ops, ...this.store.putVersionOps(userId, v.version, { ...v.record, etag })]);
    }
    return { count: await this.store.count(userId, v.version), etag: String(etag) };
  }

  /** `GET /room_keys/keys[/{roomId}[/{sessionId}]]`: room → session → key data. */
  async getKeys(
    userId: string,
    version: string | undefined,
    roomId?: string,
    sessionId?: string,
  ): Promise<Record<string, Record<string, KeyBackupData>>> {
    if (version === undefined) throw new MatrixError("M_MISSING_PARAM", "version is required");
    const v = await this.#version(userId, version);
    const out: Record<string, Record<string, KeyBackupData>> = {};
    for (const k of await this.store.keys(userId, v.version, roomId, sessionId)) {
      out[k.roomId] = { ...out[k.roomId], [k.sessionId]: k.data };
    }
    return out;
  }

  /** `DELETE /room_keys/keys[/{roomId}[/{sessionId}]]`. */
  deleteKeys(
    userId: string,
    version: string | undefined,
    roomId?: string,
    sessionId?: string,
  ): Promise<{ count: number; etag: string }> {
    return this.#locks.run(userId, async () => {
      if (version === undefined) throw new MatrixError("M_MISSING_PARAM", "version is required");
      const v = await this.#version(userId, version);
      const ops = (await this.store.keys(userId, v.version, roomId, sessionId)).flatMap((k) =>
        this.store.deleteKeyOps(userId, v.version, k),
      );
      return this.#bumpEtag(userId, v, ops);
    });
  }
}

/**
 * Account keyspaces: accounts, access and refresh tokens (stored only as SHA-256 hashes), devices,
 * registration tokens, user-interactive-auth sessions and profiles.
 *
 * Each class below owns one keyspace and its key encoding; callers get typed reads and the
 * {@link WriteOp}s to pass to {@link Database.write}, so one atomic batch can span several keyspaces.
 * Nothing outside this file builds these keys.
 */
import { type Database, del, type Keyspace, put, type WriteOp } from "./db.js";
import { key, parts, prefixRange } from "./keys.js";

/** A password hash with the parameters it was made with (scrypt, RFC 7914). */
export interface PasswordHash {
  readonly alg: "scrypt";
  /** CPU/memory cost. */
  readonly n: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
  /** Random salt, base64. */
  readonly salt: string;
  /** The derived key, base64. */
  readonly hash: string;
}

/** A local account. */
export interface AccountRecord {
  readonly userId: string;
  /** `null` for accounts that cannot log in with a password. */
  readonly password: PasswordHash | null;
  readonly admin: boolean;
  readonly isGuest: boolean;
  readonly createdTs: number;
  /** Set once the account is deactivated; it can never log in again. */
  readonly deactivatedTs: number | null;
}

/** What an access token (by hash) grants. */
export interface AccessSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly isGuest: boolean;
  readonly createdTs: number;
  /** When the token stops working (refreshable tokens only); `null` for tokens that do not expire. */
  readonly expiresTs: number | null;
  /**
   * The refresh token this one replaced, still valid until this access token (or its paired refresh
   * token) is first used (Client-Server API, "Refreshing access tokens").
   */
  readonly prevRefreshHash: string | null;
}

/** What a refresh token (by hash) refreshes. */
export interface RefreshSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly createdTs: number;
}

/** A device and the hashes of the tokens bound to it. */
export interface DeviceRecord {
  readonly deviceId: string;
  readonly displayName: string | null;
  readonly createdTs: number;
  readonly lastSeenTs: number | null;
  readonly lastSeenIp: string | null;
  /** The device's current access token hash, if logged in. */
  readonly accessHash: string | null;
  /** The device's current refresh token hash. */
  readonly refreshHash: string | null;
  /** The previous refresh token hash, valid until the current tokens are first used. */
  readonly prevRefreshHash: string | null;
}

/** A registration token (Client-Server API, "Token-authenticated registration"). */
export interface RegistrationTokenRecord {
  readonly token: string;
  /** How many registrations it allows; `null` for unlimited. */
  readonly usesAllowed: number | null;
  /** Registrations completed with it. */
  readonly completed: number;
  /** When it stops being valid (ms since the epoch); `null` for never. */
  readonly expiryTs: number | null;
  readonly createdTs: number;
}

/** A user-interactive authentication session. */
export interface UiaSessionRecord {
  readonly sessionId: string;
  /** The operation the session authenticates (it cannot be reused for another). */
  readonly op: string;
  /** The user the session authenticates, once known. */
  readonly userId: string | null;
  /** Completed stage types. */
  readonly completed: readonly string[];
  /** The registration token accepted by an `m.login.registration_token` stage. */
  readonly registrationToken: string | null;
  readonly createdTs: number;
}

/** A user's profile fields (`displayname`, `avatar_url`, custom fields). */
export type ProfileRecord = Readonly<Record<string, unknown>>;

/** `userid_account`: user ID → account. */
export class AccountsKeyspace {
  readonly #ks: Keyspace<AccountRecord>;
  constructor(db: Database) {
    this.#ks = db.keyspace<AccountRecord>("userid_account");
  }
  /** The account of `userId`, if it exists (deactivated accounts included). */
  get(userId: string): Promise<AccountRecord | undefined> {
    return this.#ks.get(key(userId));
  }
  /** Writes `account`. */
  put(account: AccountRecord): WriteOp {
    return put(this.#ks, key(account.userId), account);
  }
}

/**
 * Token hash → session: `token_hash_session` (SHA-256 of an access token) and `refresh_hash_session`
 * (SHA-256 of a refresh token).
 */
export class TokenHashKeyspace<S> {
  readonly #ks: Keyspace<S>;
  constructor(db: Database, name: "token_hash_session" | "refresh_hash_session") {
    this.#ks = db.keyspace<S>(name);
  }
  /** The session of a token hash. */
  get(hash: string): Promise<S | undefined> {
    return this.#ks.get(key(hash));
  }
  /** Stores a session under a token hash. */
  put(hash: string, session: S): WriteOp {
    return put(this.#ks, key(hash), session);
  }
  /** Deletes a token hash. */
  del(hash: string): WriteOp {
    return del(this.#ks, key(hash));
  }
  /** Every stored hash (for tests and audits). */
  async allHashes(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.#ks.keys()) out.push(k);
    return out;
  }
}

/** `userid_deviceid_device`: (user ID, device ID) → device. */
export class DevicesKeyspace {
  readonly #ks: Keyspace<DeviceRecord>;
  constructor(db: Database) {
    this.#ks = db.keyspace<DeviceRecord>("userid_deviceid_device");
  }
  /** One device of a user. */
  get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    return this.#ks.get(key(userId, deviceId));
  }
  /** All devices of a user, by device ID. */
  async list(userId: string): Promise<DeviceRecord[]> {
    const out: DeviceRecord[] = [];
    for await (const d of this.#ks.values(prefixRange(userId))) out.push(d);
    return out;
  }
  /** Writes a device of `userId`. */
  put(userId: string, device: DeviceRecord): WriteOp {
    return put(this.#ks, key(userId, device.deviceId), device);
  }
  /** Deletes a device of `userId`. */
  del(userId: string, deviceId: string): WriteOp {
    return del(this.#ks, key(userId, deviceId));
  }
  /** The user IDs that have devices (each once). */
  async usersWithDevices(): Promise<string[]> {
    const out = new Set<string>();
    for await (const k of this.#ks.keys()) out.add(parts(k)[0]!);
    return [...out];
  }
}

/** `regtoken_info`: registration token → its uses and expiry. */
export class RegistrationTokensKeyspace {
  readonly #ks: Keyspace<RegistrationTokenRecord>;
  constructor(db: Database) {
    this.#ks = db.keyspace<RegistrationTokenRecord>("regtoken_info");
  }
  /** A registration token. */
  get(token: string): Promise<RegistrationTokenRecord | undefined> {
    return this.#ks.get(key(token));
  }
  /** Writes a registration token. */
  put(record: RegistrationTokenRecord): WriteOp {
    return put(this.#ks, key(record.token), record);
  }
}

/** `uia_session`: session ID → user-interactive auth progress. */
export class UiaSessionsKeyspace {
  readonly #ks: Keyspace<UiaSessionRecord>;
  constructor(db: Database) {
    this.#ks = db.keyspace<UiaSessionRecord>("uia_session");
  }
  /** A session. */
  get(sessionId: string): Promise<UiaSessionRecord | undefined> {
    return this.#ks.get(key(sessionId));
  }
  /** Writes a session. */
  put(record: UiaSessionRecord): WriteOp {
    return put(this.#ks, key(record.sessionId), record);
  }
  /** Deletes a session. */
  del(sessionId: string): WriteOp {
    return del(this.#ks, key(sessionId));
  }
  /** The IDs of sessions created before `ts`. */
  async createdBefore(ts: number): Promise<string[]> {
    const out: string[] = [];
    for await (const [k, v] of this.#ks.iterator()) if (v.createdTs < ts) out.push(parts(k)[0]!);
    return out;
  }
}

/** `userid_profile`: user ID → profile fields. */
export class ProfilesKeyspace {
  readonly #ks: Keyspace<ProfileRecord>;
  constructor(db: Database) {
    this.#ks = db.keyspace<ProfileRecord>("userid_profile");
  }
  /** The profile of a local user. */
  get(userId: string): Promise<ProfileRecord | undefined> {
    return this.#ks.get(key(userId));
  }
  /** Writes a profile. */
  put(userId: string, profile: ProfileRecord): WriteOp {
    return put(this.#ks, key(userId), profile);
  }
}

/** The account keyspaces of one database. */
export interface AccountStorage {
  readonly accounts: AccountsKeyspace;
  readonly accessTokens: TokenHashKeyspace<AccessSession>;
  readonly refreshTokens: TokenHashKeyspace<RefreshSession>;
  readonly devices: DevicesKeyspace;
  readonly registrationTokens: RegistrationTokensKeyspace;
  readonly uiaSessions: UiaSessionsKeyspace;
  readonly profiles: ProfilesKeyspace;
}

/** Opens the account keyspaces of `db`. */
export function accountStorage(db: Database): AccountStorage {
  return {
    accounts: new AccountsKeyspace(db),
    accessTokens: new TokenHashKeyspace<AccessSession>(db, "token_hash_session"),
    refreshTokens: new TokenHashKeyspace<RefreshSession>(db, "refresh_hash_session"),
    devices: new DevicesKeyspace(db),
    registrationTokens: new RegistrationTokensKeyspace(db),
    uiaSessions: new UiaSessionsKeyspace(db),
    profiles: new ProfilesKeyspace(db),
  };
}

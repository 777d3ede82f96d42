/**
 * Accounts: registration, login, access and refresh tokens, devices, passwords, deactivation and
 * profiles (Client-Server API, "Client Authentication", "Device management", "Profiles").
 *
 * Tokens are stored only as SHA-256 hashes; an in-memory cache maps hashes to sessions so that
 * authenticating a request costs no database read. Every read-modify-write of one user's records runs
 * under that user's lock, and every change is one atomic batch.
 */
import {
  isValidLocalpartForRegistration,
  localpartRegistrationProblem,
  MAX_IDENTIFIER_BYTES as MAX_USER_ID_LENGTH,
  MatrixError,
  type ServerName,
} from "@hearth/federation";
import type { Requester } from "../../http/route.js";
import type {
  AccessSession,
  AccountRecord,
  AccountStorage,
  DeviceRecord,
  PasswordHash,
  ProfileRecord,
  RegistrationTokenRecord,
} from "../../storage/accounts.js";
import type { Database, WriteOp } from "../../storage/db.js";
import { KeyedMutex } from "../keyed-mutex.js";
import { DEFAULT_SCRYPT_PARAMS, hashPassword, type ScryptParams, verifyPassword } from "./passwords.js";
import {
  newAccessToken,
  newDeviceId,
  newGuestLocalpart,
  newLocalpart,
  newRefreshToken,
  newRegistrationToken,
  tokenHash,
} from "./tokens.js";

/** A user's profile as other modules see it (member events carry `displayname` and `avatar_url`). */
export interface UserProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
  readonly [field: string]: unknown;
}

/** Reads local users' profiles: what the rooms module needs for member events. */
export interface ProfileReader {
  /** The profile of a local user, or `undefined` when there is no such user. */
  getProfile(userId: string): Promise<UserProfile | undefined>;
}

/** Answers whether a local user is a server administrator. */
export interface AdminChecker {
  isAdmin(userId: string): Promise<boolean>;
}

/** Effects of account changes on other modules, wired in `modules.ts`. */
export interface AccountEffects {
  /** Makes the (deactivated) user leave every room they are in. */
  leaveAllRooms(userId: string): Promise<void>;
  /** A user's display name or avatar changed: member events are updated. */
  profileChanged(
    userId: string,
    profile: { displayname?: string | null; avatar_url?: string | null },
  ): Promise<void>;
  /** The profile of a user of another server (a federation profile query), when federation runs. */
  remoteProfile?(userId: string): Promise<Record<string, unknown> | undefined>;
  /** A user's device list changed (a device was added, renamed or deleted). */
  devicesChanged?(userId: string): Promise<void>;
  /**
   * The access tokens of these devices were revoked (logout, device deletion, a password change that
   * logs devices out, deactivation, a new login onto the device), after the revocation is written:
   * open WebSocket sync streams of the devices close. Not called for a token refresh, which
   * continues the device's session.
   */
  sessionsRevoked?(userId: string, deviceIds: readonly string[]): void;
}

/** Tuning of the account service. */
export interface AccountServiceOptions {
  /** scrypt cost for new password hashes. */
  readonly scrypt?: ScryptParams;
  /** Lifetime of access tokens issued with a refresh token. */
  readonly refreshableAccessTokenLifetimeMs?: number;
  /** Reports failures of effects (which never undo the account change that caused them). */
  readonly onEffectError?: (error: unknown, effect: string, userId: string) => void;
}

/** What the account service is built from. */
export interface AccountServiceDeps {
  readonly db: Database;
  readonly storage: AccountStorage;
  readonly serverName: string;
  readonly now: () => number;
  readonly effects: AccountEffects;
  readonly options?: AccountServiceOptions;
}

/** The tokens of a new login. */
export interface LoginResult {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresInMs?: number;
}

/** The result of a registration: the user, and a login unless it was inhibited. */
export interface RegisterResult {
  readonly userId: string;
  readonly login?: LoginResult;
}

/** How to register an account. */
export interface RegisterOptions {
  /** A localpart already checked with {@link AccountService.checkUsername}; generated when absent. */
  readonly localpart?: string;
  readonly password?: string;
  readonly admin?: boolean;
  /** Skip creating a device and tokens. */
  readonly inhibitLogin?: boolean;
  readonly deviceId?: string;
  readonly initialDeviceDisplayName?: string;
  readonly refreshToken?: boolean;
  /** A registration token to consume (from the UIA stage). */
  readonly registrationToken?: string | null;
  readonly ip?: string;
  /** The initial display name; the localpart when absent. */
  readonly displayname?: string;
}

/** How to register a guest account (Client-Server API, "Guest Access"). */
export interface GuestRegisterOptions {
  readonly initialDeviceDisplayName?: string;
  readonly ip?: string;
}

/** How to turn a guest account into a full account: a registration that keeps the guest's user ID. */
export interface GuestUpgradeOptions extends Omit<RegisterOptions, "localpart" | "admin" | "displayname"> {
  /** The guest's localpart (the registration's `username`). */
  readonly localpart: string;
  /** The guest's access token (`guest_access_token`), proving the caller is that guest. */
  readonly guestAccessToken: string;
}

/** How to log in (password already checked or to be checked). */
export interface SessionOptions {
  readonly deviceId?: string;
  readonly initialDeviceDisplayName?: string;
  readonly refreshToken?: boolean;
  readonly ip?: string;
}

/** A device as the devices API presents it. */
export interface DeviceInfo {
  readonly device_id: string;
  readonly display_name?: string;
  readonly last_seen_ip?: string;
  readonly last_seen_ts?: number;
}

/** The largest profile, serialised (Client-Server API, "Profiles": "MUST be under 64 KiB"). */
export const MAX_PROFILE_BYTES = 65_536;

const DEFAULT_REFRESHABLE_LIFETIME_MS = 5 * 60_000;
const CACHE_LIMIT = 50_000;
const REGISTER_LOCK = "\u0000register";

function unknownToken(message = "Unknown access token", softLogout = false): MatrixError {
  return new MatrixError("M_UNKNOWN_TOKEN", message, { soft_logout: softLogout });
}

/** The account service. It is also the server's {@link TokenAuthenticator}. */
export class AccountService implements ProfileReader, AdminChecker {
  readonly #db: Database;
  readonly #s: AccountStorage;
  readonly #serverName: string;
  readonly #now: () => number;
  readonly #effects: AccountEffects;
  readonly #scrypt: ScryptParams;
  readonly #lifetimeMs: number;
  readonly #onEffectError: (error: unknown, effect: string, userId: string) => void;
  readonly #locks = new KeyedMutex();
  /** Access token hash → session. Entries are removed after every write that revokes them. */
  readonly #cache = new Map<string, AccessSession>();
  /** Bumped by every revocation: a read that raced one does not fill the cache. */
  #epoch = 0;
  /** (user, device) → last time a token of the device was used, kept in memory. */
  readonly #lastSeen = new Map<string, number>();
  #dummyHash: Promise<PasswordHash> | undefined;

  constructor(deps: AccountServiceDeps) {
    this.#db = deps.db;
    this.#s = deps.storage;
    this.#serverName = deps.serverName;
    this.#now = deps.now;
    this.#effects = deps.effects;
    this.#scrypt = deps.options?.scrypt ?? DEFAULT_SCRYPT_PARAMS;
    this.#lifetimeMs = deps.options?.refreshableAccessTokenLifetimeMs ?? DEFAULT_REFRESHABLE_LIFETIME_MS;
    this.#onEffectError = deps.options?.onEffectError ?? (() => {});
  }

  /** The server name of local user IDs. */
  get serverName(): string {
    return this.#serverName;
  }

  // ---- Authentication ------------------------------------------------------------------------

  /**
   * Resolves an access token to its requester. Throws `M_UNKNOWN_TOKEN` (`soft_logout: false`) for
   * an unknown or revoked token, and with `soft_logout: true` for an expired refreshable one.
   */
  async authenticate(accessToken: string): Promise<Requester> {
    const hash = tokenHash(accessToken);
    let session = this.#cache.get(hash);
    if (!session) {
      const epoch = this.#epoch;
      session = await this.#s.accessTokens.get(hash);
      if (!session) throw unknownToken();
      if (epoch === this.#epoch) this.#cacheSet(hash, session);
    }
    if (session.expiresTs !== null && this.#now() >= session.expiresTs) {
      throw unknownToken("Access token has expired", true);
    }
    if (session.prevRefreshHash !== null) await this.#retirePreviousRefresh(hash, session);
    this.#lastSeen.set(deviceKey(session.userId, session.deviceId), this.#now());
    return { userId: session.userId, deviceId: session.deviceId, tokenId: hash, isGuest: session.isGuest };
  }

  #cacheSet(hash: string, session: AccessSession): void {
    if (this.#cache.size >= CACHE_LIMIT) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(hash, session);
  }

  /** Writes `ops`, then forgets the revoked access token hashes. */
  async #commit(ops: WriteOp[], revoked: Array<string | null> = []): Promise<void> {
    await this.#db.write(ops);
    if (revoked.length > 0) {
      this.#epoch++;
      for (const h of revoked) if (h !== null) this.#cache.delete(h);
    }
  }

  /** The first use of a refreshed access token revokes the refresh token it replaced. */
  async #retirePreviousRefresh(hash: string, session: AccessSession): Promise<void> {
    await this.#locks.run(session.userId, async () => {
      const current = await this.#s.accessTokens.get(hash);
      if (!current || current.prevRefreshHash === null) return;
      const updated: AccessSession = { ...current, prevRefreshHash: null };
      const ops = [
        this.#s.refreshTokens.del(current.prevRefreshHash),
        this.#s.accessTokens.put(hash, updated),
      ];
      const device = await this.#s.devices.get(current.userId, current.deviceId);
      if (device && device.prevRefreshHash === current.prevRefreshHash) {
        ops.push(this.#s.devices.put(current.userId, { ...device, prevRefreshHash: null }));
      }
      await this.#db.write(ops);
      if (this.#cache.has(hash)) this.#cache.set(hash, updated);
    });
  }

  // ---- Users ---------------------------------------------------------------------------------

  /** The full user ID of a local localpart. */
  userIdFor(localpart: string): string {
    return `@${localpart}:${this.#serverName}`;
  }

  /**
   * Maps a requested username onto a localpart (lower-cased) and checks that it is valid and free.
   * Throws `M_INVALID_USERNAME` or `M_USER_IN_USE`.
   */
  async checkUsername(username: string): Promise<string> {
    const localpart = foldUsername(username);
    // Client-Server API, "Account registration": M_INVALID_USERNAME for a username that is not valid,
    // by its characters or by the length of the user ID it makes ("User Identifiers": at most 255).
    const problem = localpartRegistrationProblem(localpart, this.#serverName as ServerName);
    if (problem === "length") {
      const max = MAX_USER_ID_LENGTH - this.#serverName.length - 2;
      throw new MatrixError(
        "M_INVALID_USERNAME",
        `The username is too long: at most ${max} characters on this server (user IDs are at most ${MAX_USER_ID_LENGTH})`,
      );
    }
    if (problem === "characters") {
      throw new MatrixError(
        "M_INVALID_USERNAME",
        "User ID may contain only the characters a-z, 0-9, '.', '_', '=', '-', '/' and '+'",
      );
    }
    if (await this.#s.accounts.get(this.userIdFor(localpart))) {
      throw new MatrixError("M_USER_IN_USE", "User ID already taken.");
    }
    return localpart;
  }

  /** Whether a local account exists (deactivated ones included). */
  async userExists(userId: string): Promise<boolean> {
    return (await this.#s.accounts.get(userId)) !== undefined;
  }

  /** Whether `userId` is a local server administrator. */
  async isAdmin(userId: string): Promise<boolean> {
    const account = await this.#s.accounts.get(userId);
    return account?.admin === true && account.deactivatedTs === null;
  }

  /**
   * Registers an account, and logs it in unless `inhibitLogin`. Consumes the registration token, if
   * any, in the same atomic write. Throws `M_USER_IN_USE` when the localpart was taken meanwhile.
   */
  async register(options: RegisterOptions): Promise<RegisterResult> {
    const password =
      options.password !== undefined ? await hashPassword(options.password, this.#scrypt) : null;
    return this.#locks.run(REGISTER_LOCK, async () => {
      let localpart = options.localpart;
      if (localpart === undefined) {
        do localpart = newLocalpart();
        while (await this.#s.accounts.get(this.userIdFor(localpart)));
      }
      const userId = this.userIdFor(localpart);
      if (await this.#s.accounts.get(userId))
        throw new MatrixError("M_USER_IN_USE", "User ID already taken.");
      const now = this.#now();
      const ops: WriteOp[] = [];
      if (options.registrationToken) ops.push(await this.#useRegistrationToken(options.registrationToken));
      const account: AccountRecord = {
        userId,
        password,
        admin: options.admin === true,
        isGuest: false,
        createdTs: now,
        deactivatedTs: null,
      };
      ops.push(this.#s.accounts.put(account));
      ops.push(this.#s.profiles.put(userId, { displayname: options.displayname ?? localpart }));
      if (options.inhibitLogin) {
        await this.#commit(ops);
        return { userId };
      }
      const login = await this.#sessionOps(userId, options, false);
      await this.#commit([...ops, ...login.ops], login.revoked);
      this.#devicesChanged(userId);
      return { userId, login: login.result };
    });
  }

  /**
   * Registers a guest account: a numeric localpart, no password, and a login on a new device
   * (Client-Server API, "Guest Access"). Its access tokens carry {@link Requester.isGuest}.
   */
  async registerGuest(options: GuestRegisterOptions): Promise<LoginResult> {
    return this.#locks.run(REGISTER_LOCK, async () => {
      let localpart: string;
      do localpart = newGuestLocalpart();
      while (await this.#s.accounts.get(this.userIdFor(localpart)));
      const userId = this.userIdFor(localpart);
      const account: AccountRecord = {
        userId,
        password: null,
        admin: false,
        isGuest: true,
        createdTs: this.#now(),
        deactivatedTs: null,
      };
      // No display name: clients show the user ID until the guest sets one.
      const ops: WriteOp[] = [this.#s.accounts.put(account), this.#s.profiles.put(userId, {})];
      const login = await this.#sessionOps(userId, options, true);
      await this.#commit([...ops, ...login.ops], login.revoked);
      this.#devicesChanged(userId);
      return login.result;
    });
  }

  /** Whether `userId` is a local guest account. */
  async isGuest(userId: string): Promise<boolean> {
    return (await this.#s.accounts.get(userId))?.isGuest === true;
  }

  /**
   * Checks that `guestAccessToken` is a current access token of the guest account `username` names
   * ("Guest Access": a guest upgrades by registering with its `guest_access_token` and its localpart
   * as `username`), and returns that localpart. Otherwise 403 `M_FORBIDDEN`: the user ID is taken,
   * and the caller has not shown it is the guest who holds it.
   */
  async checkGuestUpgrade(username: string, guestAccessToken: string): Promise<string> {
    const localpart = foldUsername(username);
    await this.#guestSession(this.userIdFor(localpart), guestAccessToken);
    return localpart;
  }

  /** The guest account `userId` and its session for `token`, or 403 `M_FORBIDDEN`. */
  async #guestSession(userId: string, token: string): Promise<AccountRecord> {
    const session = await this.#s.accessTokens.get(tokenHash(token));
    const account = await this.#s.accounts.get(userId);
    const current = session !== undefined && (session.expiresTs === null || this.#now() < session.expiresTs);
    if (!current || session.userId !== userId || !account?.isGuest || account.deactivatedTs !== null) {
      throw new MatrixError(
        "M_FORBIDDEN",
        "Cannot register a taken user ID without valid guest credentials for that user",
      );
    }
    return account;
  }

  /**
   * Turns a guest account into a full account that keeps its user ID, rooms, devices and data
   * (Client-Server API, "Guest Access"): sets the password, consumes the registration token, and
   * makes every access token of the account a full user's (the guest's own token keeps working).
   * Logs in on a new or given device unless `inhibitLogin`, like {@link register}.
   */
  async upgradeGuest(options: GuestUpgradeOptions): Promise<RegisterResult> {
    const password =
      options.password !== undefined ? await hashPassword(options.password, this.#scrypt) : null;
    const userId = this.userIdFor(options.localpart);
    return this.#locks.run(REGISTER_LOCK, () =>
      this.#locks.run(userId, async () => {
        const account = await this.#guestSession(userId, options.guestAccessToken);
        const ops: WriteOp[] = [];
        if (options.registrationToken) ops.push(await this.#useRegistrationToken(options.registrationToken));
        ops.push(this.#s.accounts.put({ ...account, isGuest: false, password }));
        // The guest's sessions become a full user's: rewritten, and dropped from the cache.
        const refreshed: string[] = [];
        for (const device of await this.#s.devices.list(userId)) {
          const hash = device.accessHash;
          const session = hash !== null ? await this.#s.accessTokens.get(hash) : undefined;
          if (hash === null || !session) continue;
          ops.push(this.#s.accessTokens.put(hash, { ...session, isGuest: false }));
          refreshed.push(hash);
        }
        if (options.inhibitLogin) {
          await this.#commit(ops, refreshed);
          return { userId };
        }
        const login = await this.#sessionOps(userId, options, false);
        await this.#commit([...ops, ...login.ops], [...refreshed, ...login.revoked]);
        if (login.revoked[0] !== null) this.#sessionsRevoked(userId, [login.result.deviceId]);
        this.#devicesChanged(userId);
        return { userId, login: login.result };
      }),
    );
  }

  /**
   * The local user an `m.login.password` body names: `identifier` of type `m.id.user` (localpart or
   * full user ID), or the deprecated top-level `user`. `undefined` for other identifier types, remote
   * users and malformed names.
   */
  resolveUser(body: Record<string, unknown>): string | undefined {
    let user: unknown;
    const identifier = body.identifier;
    if (identifier !== undefined && identifier !== null) {
      if (typeof identifier !== "object" || Array.isArray(identifier)) {
        throw new MatrixError("M_BAD_JSON", "'identifier' must be an object");
      }
      const id = identifier as Record<string, unknown>;
      if (typeof id.type !== "string")
        throw new MatrixError("M_BAD_JSON", "'identifier.type' must be a string");
      if (id.type !== "m.id.user") return undefined;
      user = id.user;
      if (typeof user !== "string") throw new MatrixError("M_BAD_JSON", "'identifier.user' must be a string");
    } else {
      user = body.user;
      if (user === undefined || user === null) return undefined;
      if (typeof user !== "string") throw new MatrixError("M_BAD_JSON", "'user' must be a string");
    }
    if (user.length > 255) return undefined;
    let localpart = user;
    if (user.startsWith("@")) {
      const colon = user.indexOf(":");
      if (colon === -1 || user.slice(colon + 1) !== this.#serverName) return undefined;
      localpart = user.slice(1, colon);
    }
    localpart = foldUsername(localpart);
    if (!isValidLocalpartForRegistration(localpart, this.#serverName as ServerName)) return undefined;
    return this.userIdFor(localpart);
  }

  /** Whether `password` is the password of the active account `userId` (constant work when not). */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const account = await this.#s.accounts.get(userId);
    if (!account?.password) {
      await this.#spendVerifyTime(password);
      return false;
    }
    const ok = await verifyPassword(password, account.password);
    return ok && account.deactivatedTs === null;
  }

  /** Costs what a password check costs, so unknown users cannot be told apart by timing. */
  async #spendVerifyTime(password: string): Promise<void> {
    this.#dummyHash ??= hashPassword("not a password", this.#scrypt);
    await verifyPassword(password, await this.#dummyHash);
  }

  /**
   * Logs in with a password (`m.login.password`). Wrong user or password: `M_FORBIDDEN`; deactivated
   * account: `M_USER_DEACTIVATED`. An existing `deviceId` of the user is reused and its old tokens
   * revoked.
   */
  async loginWithPassword(
    userId: string | undefined,
    password: string,
    options: SessionOptions,
  ): Promise<LoginResult> {
    const account = userId === undefined ? undefined : await this.#s.accounts.get(userId);
    let ok = false;
    if (account?.password) ok = await verifyPassword(password, account.password);
    else await this.#spendVerifyTime(password);
    if (!account || !ok) throw new MatrixError("M_FORBIDDEN", "Invalid username or password");
    if (account.deactivatedTs !== null)
      throw new MatrixError("M_USER_DEACTIVATED", "This account has been deactivated");
    return this.#locks.run(account.userId, async () => {
      const current = await this.#s.accounts.get(account.userId);
      if (!current || current.deactivatedTs !== null)
        throw new MatrixError("M_USER_DEACTIVATED", "This account has been deactivated");
      const { ops, revoked, result } = await this.#sessionOps(account.userId, options, account.isGuest);
      await this.#commit(ops, revoked);
      if (revoked[0] !== null) this.#sessionsRevoked(account.userId, [result.deviceId]);
      this.#devicesChanged(account.userId);
      return result;
    });
  }

  /** The writes that create (or reuse) a device and bind new tokens to it. Run under the user's lock. */
  async #sessionOps(
    userId: string,
    options: SessionOptions,
    isGuest: boolean,
  ): Promise<{ ops: WriteOp[]; revoked: Array<string | null>; result: LoginResult }> {
    const now = this.#now();
    const ops: WriteOp[] = [];
    let existing: DeviceRecord | undefined;
    let deviceId = options.deviceId;
    if (deviceId !== undefined) {
      existing = await this.#s.devices.get(userId, deviceId);
      if (existing) ops.push(...this.#revokeTokenOps(existing));
    } else {
      do deviceId = newDeviceId();
      while (await this.#s.devices.get(userId, deviceId));
    }
    const accessToken = newAccessToken();
    const accessHash = tokenHash(accessToken);
    const refreshToken = options.refreshToken ? newRefreshToken() : undefined;
    const refreshHash = refreshToken !== undefined ? tokenHash(refreshToken) : null;
    ops.push(
      this.#s.accessTokens.put(accessHash, {
        userId,
        deviceId,
        isGuest,
        createdTs: now,
        expiresTs: refreshToken !== undefined ? now + this.#lifetimeMs : null,
        prevRefreshHash: null,
      }),
    );
    if (refreshHash !== null)
      ops.push(this.#s.refreshTokens.put(refreshHash, { userId, deviceId, createdTs: now }));
    ops.push(
      this.#s.devices.put(userId, {
        deviceId,
        displayName: existing ? existing.displayName : (options.initialDeviceDisplayName ?? null),
        createdTs: existing?.createdTs ?? now,
        lastSeenTs: now,
        lastSeenIp: options.ip ?? existing?.lastSeenIp ?? null,
        accessHash,
        refreshHash,
        prevRefreshHash: null,
      }),
    );
    const result: LoginResult = {
      userId,
      deviceId,
      accessToken,
      ...(refreshToken !== undefined ? { refreshToken, expiresInMs: this.#lifetimeMs } : {}),
    };
    return { ops, revoked: [existing?.accessHash ?? null], result };
  }

  /** Deletes every token bound to `device` (not the device itself). */
  #revokeTokenOps(device: DeviceRecord): WriteOp[] {
    const ops: WriteOp[] = [];
    if (device.accessHash !== null) ops.push(this.#s.accessTokens.del(device.accessHash));
    if (device.refreshHash !== null) ops.push(this.#s.refreshTokens.del(device.refreshHash));
    if (device.prevRefreshHash !== null) ops.push(this.#s.refreshTokens.del(device.prevRefreshHash));
    return ops;
  }

  /**
   * Exchanges a refresh token for a new access and refresh token on the same device. The old access
   * token is revoked at once; the old refresh token stays valid until the new tokens are first used
   * (Client-Server API, "Refreshing access tokens"). Unknown or spent: `M_UNKNOWN_TOKEN`.
   */
  async refresh(
    refreshToken: string,
  ): Promise<{ accessToken: string; refreshToken: string; expiresInMs: number }> {
    const hash = tokenHash(refreshToken);
    const first = await this.#s.refreshTokens.get(hash);
    if (!first) throw unknownToken("Unknown refresh token");
    return this.#locks.run(first.userId, async () => {
      const session = await this.#s.refreshTokens.get(hash);
      const device = session && (await this.#s.devices.get(session.userId, session.deviceId));
      const account = session && (await this.#s.accounts.get(session.userId));
      if (
        !session ||
        !device ||
        !account ||
        account.deactivatedTs !== null ||
        (device.refreshHash !== hash && device.prevRefreshHash !== hash)
      ) {
        throw unknownToken("Unknown refresh token");
      }
      const now = this.#now();
      const ops: WriteOp[] = [];
      if (device.accessHash !== null) ops.push(this.#s.accessTokens.del(device.accessHash));
      if (device.refreshHash !== null && device.refreshHash !== hash)
        ops.push(this.#s.refreshTokens.del(device.refreshHash));
      if (device.prevRefreshHash !== null && device.prevRefreshHash !== hash) {
        ops.push(this.#s.refreshTokens.del(device.prevRefreshHash));
      }
      const accessToken = newAccessToken();
      const newRefresh = newRefreshToken();
      const accessHash = tokenHash(accessToken);
      const refreshHash = tokenHash(newRefresh);
      ops.push(
        this.#s.accessTokens.put(accessHash, {
          userId: session.userId,
          deviceId: session.deviceId,
          isGuest: account.isGuest,
          createdTs: now,
          expiresTs: now + this.#lifetimeMs,
          prevRefreshHash: hash,
        }),
        this.#s.refreshTokens.put(refreshHash, {
          userId: session.userId,
          deviceId: session.deviceId,
          createdTs: now,
        }),
        this.#s.devices.put(session.userId, { ...device, accessHash, refreshHash, prevRefreshHash: hash }),
      );
      await this.#commit(ops, [device.accessHash]);
      return { accessToken, refreshToken: newRefresh, expiresInMs: this.#lifetimeMs };
    });
  }

  /** Logs out the requester's device: deletes the device and its tokens. */
  async logout(requester: Requester): Promise<void> {
    await this.deleteDevices(requester.userId, [requester.deviceId], [requester.tokenId]);
  }

  /** Logs out every device of a user. */
  async logoutAll(userId: string): Promise<void> {
    await this.#locks.run(userId, async () => {
      const devices = await this.#s.devices.list(userId);
      const { ops, revoked } = await this.#deleteDevicesOps(userId, devices);
      await this.#commit(ops, revoked);
      this.#sessionsRevoked(
        userId,
        devices.map((d) => d.deviceId),
      );
    });
    this.#devicesChanged(userId);
  }

  /** Deletes devices (and their tokens); unknown device IDs are ignored. */
  async deleteDevices(
    userId: string,
    deviceIds: readonly string[],
    extraTokenHashes: readonly string[] = [],
  ): Promise<void> {
    await this.#locks.run(userId, async () => {
      const devices: DeviceRecord[] = [];
      for (const id of new Set(deviceIds)) {
        const d = await this.#s.devices.get(userId, id);
        if (d) devices.push(d);
      }
      const { ops, revoked } = await this.#deleteDevicesOps(userId, devices);
      for (const h of extraTokenHashes) {
        if (!revoked.includes(h)) {
          ops.push(this.#s.accessTokens.del(h));
          revoked.push(h);
        }
      }
      await this.#commit(ops, revoked);
      this.#sessionsRevoked(userId, [...new Set(deviceIds)]);
    });
    this.#devicesChanged(userId);
  }

  async #deleteDevicesOps(
    userId: string,
    devices: readonly DeviceRecord[],
  ): Promise<{ ops: WriteOp[]; revoked: string[] }> {
    const ops: WriteOp[] = [];
    const revoked: string[] = [];
    for (const d of devices) {
      ops.push(...this.#revokeTokenOps(d), this.#s.devices.del(userId, d.deviceId));
      if (d.accessHash !== null) revoked.push(d.accessHash);
      this.#lastSeen.delete(deviceKey(userId, d.deviceId));
    }
    return { ops, revoked };
  }

  /**
   * Sets a new password. With `logoutDevices`, every other device (all but `keepDeviceId`) is
   * deleted with its tokens.
   */
  async changePassword(
    userId: string,
    newPassword: string,
    options: { logoutDevices: boolean; keepDeviceId?: string },
  ): Promise<void> {
    const hash = await hashPassword(newPassword, this.#scrypt);
    await this.#locks.run(userId, async () => {
      const account = await this.#s.accounts.get(userId);
      if (!account || account.deactivatedTs !== null)
        throw new MatrixError("M_FORBIDDEN", "Account is not active");
      const ops: WriteOp[] = [this.#s.accounts.put({ ...account, password: hash })];
      let revoked: string[] = [];
      let loggedOut: string[] = [];
      if (options.logoutDevices) {
        const others = (await this.#s.devices.list(userId)).filter(
          (d) => d.deviceId !== options.keepDeviceId,
        );
        const deleted = await this.#deleteDevicesOps(userId, others);
        ops.push(...deleted.ops);
        revoked = deleted.revoked;
        loggedOut = others.map((d) => d.deviceId);
      }
      await this.#commit(ops, revoked);
      this.#sessionsRevoked(userId, loggedOut);
    });
  }

  /**
   * Deactivates an account: it can never log in again, every device and token is deleted, the
   * profile is erased, and the user leaves every room.
   */
  async deactivate(userId: string): Promise<void> {
    await this.#locks.run(userId, async () => {
      const account = await this.#s.accounts.get(userId);
      if (!account) throw new MatrixError("M_NOT_FOUND", "No such user");
      const devices = await this.#s.devices.list(userId);
      const { ops, revoked } = await this.#deleteDevicesOps(userId, devices);
      if (account.deactivatedTs === null)
        ops.push(this.#s.accounts.put({ ...account, deactivatedTs: this.#now() }));
      ops.push(this.#s.profiles.put(userId, {}));
      await this.#commit(ops, revoked);
      this.#sessionsRevoked(
        userId,
        devices.map((d) => d.deviceId),
      );
    });
    await this.#effect("leaveAllRooms", userId, () => this.#effects.leaveAllRooms(userId));
  }

  /** Tells the device-list tracking (best effort, not awaited: it must not fail the request). */
  #devicesChanged(userId: string): void {
    const effect = this.#effects.devicesChanged;
    if (effect) void this.#effect("devicesChanged", userId, () => effect(userId));
  }

  /** Tells whoever holds sessions open (WebSocket sync streams) that these devices' tokens are gone. */
  #sessionsRevoked(userId: string, deviceIds: readonly string[]): void {
    const effect = this.#effects.sessionsRevoked;
    if (!effect || deviceIds.length === 0) return;
    try {
      effect(userId, deviceIds);
    } catch (e) {
      this.#onEffectError(e, "sessionsRevoked", userId);
    }
  }

  async #effect(name: string, userId: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      this.#onEffectError(e, name, userId);
    }
  }

  // ---- Devices -------------------------------------------------------------------------------

  /** The devices of a user. */
  async listDevices(userId: string): Promise<DeviceInfo[]> {
    return (await this.#s.devices.list(userId)).map((d) => this.#deviceInfo(userId, d));
  }

  /** One device of a user, or `undefined`. */
  async getDevice(userId: string, deviceId: string): Promise<DeviceInfo | undefined> {
    const d = await this.#s.devices.get(userId, deviceId);
    return d && this.#deviceInfo(userId, d);
  }

  #deviceInfo(userId: string, d: DeviceRecord): DeviceInfo {
    const seen = Math.max(d.lastSeenTs ?? 0, this.#lastSeen.get(deviceKey(userId, d.deviceId)) ?? 0);
    return {
      device_id: d.deviceId,
      ...(d.displayName !== null ? { display_name: d.displayName } : {}),
      ...(d.lastSeenIp !== null ? { last_seen_ip: d.lastSeenIp } : {}),
      ...(seen > 0 ? { last_seen_ts: seen } : {}),
    };
  }

  /** Renames a device; `M_NOT_FOUND` when the user has no such device. */
  async updateDevice(userId: string, deviceId: string, displayName: string | undefined): Promise<void> {
    await this.#locks.run(userId, async () => {
      const d = await this.#s.devices.get(userId, deviceId);
      if (!d) throw new MatrixError("M_NOT_FOUND", "Unknown device");
      if (displayName === undefined) return;
      await this.#commit([this.#s.devices.put(userId, { ...d, displayName })]);
    });
    this.#devicesChanged(userId);
  }

  // ---- Profiles ------------------------------------------------------------------------------

  /** The profile of a local user; `undefined` when the user does not exist. */
  async getProfile(userId: string): Promise<UserProfile | undefined> {
    const account = await this.#s.accounts.get(userId);
    if (!account) return undefined;
    return ((await this.#s.profiles.get(userId)) ?? {}) as UserProfile;
  }

  /**
   * Sets (or with `undefined` removes) one profile field of a local user. `M_NOT_FOUND` for an
   * unknown user, `M_FORBIDDEN` for a deactivated one, `M_PROFILE_TOO_LARGE` past 64 KiB. A change of
   * `displayname` or `avatar_url` is passed on to {@link AccountEffects.profileChanged}.
   */
  async setProfileField(userId: string, field: string, value: unknown): Promise<void> {
    const changed = await this.#locks.run(userId, async () => {
      const account = await this.#s.accounts.get(userId);
      if (!account) throw new MatrixError("M_NOT_FOUND", "Profile not found");
      if (account.deactivatedTs !== null)
        throw new MatrixError("M_FORBIDDEN", "This account has been deactivated");
      const old: ProfileRecord = (await this.#s.profiles.get(userId)) ?? {};
      const next: Record<string, unknown> = { ...old };
      if (value === undefined) delete next[field];
      else next[field] = value;
      if (Buffer.byteLength(JSON.stringify(next), "utf8") > MAX_PROFILE_BYTES) {
        throw new MatrixError("M_PROFILE_TOO_LARGE", "The profile would exceed 64 KiB");
      }
      if (JSON.stringify(old[field]) === JSON.stringify(next[field])) return undefined;
      await this.#commit([this.#s.profiles.put(userId, next)]);
      return next;
    });
    if (changed && (field === "displayname" || field === "avatar_url")) {
      const profile = {
        displayname: typeof changed.displayname === "string" ? changed.displayname : null,
        avatar_url: typeof changed.avatar_url === "string" ? changed.avatar_url : null,
      };
      await this.#effect("profileChanged", userId, () => this.#effects.profileChanged(userId, profile));
    }
  }

  // ---- Registration tokens -------------------------------------------------------------------

  /** Creates a registration token (random unless given). */
  async createRegistrationToken(options: {
    token?: string;
    usesAllowed?: number | null;
    expiryTs?: number | null;
  }): Promise<RegistrationTokenRecord> {
    const token = options.token ?? newRegistrationToken();
    if (!/^[A-Za-z0-9._~-]{1,64}$/.test(token)) {
      throw new MatrixError("M_INVALID_PARAM", "A registration token is 1-64 characters of [A-Za-z0-9._~-]");
    }
    return this.#locks.run(REGISTER_LOCK, async () => {
      if (await this.#s.registrationTokens.get(token)) {
        throw new MatrixError("M_INVALID_PARAM", "The registration token already exists");
      }
      const record: RegistrationTokenRecord = {
        token,
        usesAllowed: options.usesAllowed ?? null,
        completed: 0,
        expiryTs: options.expiryTs ?? null,
        createdTs: this.#now(),
      };
      await this.#commit([this.#s.registrationTokens.put(record)]);
      return record;
    });
  }

  /** Whether a registration token exists, has uses left and has not expired. */
  async isRegistrationTokenValid(token: string): Promise<boolean> {
    const record = await this.#s.registrationTokens.get(token);
    return record !== undefined && this.#tokenUsable(record);
  }

  /** The write that counts one registration against a registration token; run under the register lock. */
  async #useRegistrationToken(token: string): Promise<WriteOp> {
    const record = await this.#s.registrationTokens.get(token);
    if (!record || !this.#tokenUsable(record)) {
      throw new MatrixError("M_UNAUTHORIZED", "The registration token is no longer valid");
    }
    return this.#s.registrationTokens.put({ ...record, completed: record.completed + 1 });
  }

  #tokenUsable(record: RegistrationTokenRecord): boolean {
    if (record.expiryTs !== null && this.#now() >= record.expiryTs) return false;
    return record.usesAllowed === null || record.completed < record.usesAllowed;
  }
}

function deviceKey(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}

/**
 * Case-folds a username to its localpart ("User Identifiers", "Mapping from other character sets"):
 * only A–Z become a–z. `toLowerCase` would also map other characters into the allowed set (U+212A
 * KELVIN SIGN to `k`, U+0130 to `i̇`), making two spellings one account; those stay as they are and
 * are refused as invalid characters.
 */
export function foldUsername(username: string): string {
  return username.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Server signing keys ("Retrieving server keys"): our own keys as published on
 * `GET /_matrix/key/v2/server`, the notary service (`/_matrix/key/v2/query`), and the cache of other
 * servers' keys used to verify requests and events.
 *
 * Remote keys are fetched directly from the server (`GET /_matrix/key/v2/server`), falling back to
 * the configured trusted notaries (none by default). Keys are cached in memory and in
 * `storage/server-keys.ts`, refreshed when a lookup needs a key valid later than what is known, and a
 * server that fails is not asked again before its backoff (30 s doubling to an hour) has passed.
 * Every fetch has a timeout, so one slow server never holds up requests from others.
 */
import {
  buildServerKeys,
  decodeBase64,
  type FederationClient,
  isValidServerName,
  type KnownVerifyKey,
  type OldVerifyKey,
  requiredSignatories,
  type ServerKeysResponse,
  type SigningKey,
  signJson,
  type VerifiedServerKeys,
  verifyNotaryResponse,
  verifyServerKeys,
} from "@hearth/federation";
import type { Logger } from "pino";
import { isJsonObject } from "../http/validate.js";
import type { Database } from "../storage/db.js";
import { fromRecord, type ServerKeyStore } from "../storage/server-keys.js";

/** How long our published key response is valid (`valid_until_ts` = now + this). */
export const PUBLISHED_KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** What the key service sends requests with: the signed federation client's `request`. */
export type KeyFetchClient = Pick<FederationClient, "request">;

/** Tuning of {@link KeyService}; the defaults suit production. */
export interface KeyServiceOptions {
  /** Notary servers asked when a server cannot be reached directly (default none). */
  readonly trustedNotaries?: readonly string[];
  /** Timeout of one direct key fetch (default 10 s). */
  readonly fetchTimeoutMs?: number;
  /** First backoff after a failed fetch (default 30 s); doubles per consecutive failure. */
  readonly minBackoffMs?: number;
  /** Longest backoff (default 1 hour). */
  readonly maxBackoffMs?: number;
  /**
   * A server that answered is not asked again for this long (default 60 s), even for a key ID it
   * did not list: unknown key IDs in requests must not make us fetch on every request.
   */
  readonly refetchIntervalMs?: number;
}

/** What {@link KeyService} is built from. */
export interface KeyServiceDeps {
  readonly serverName: string;
  /** Our current signing key. */
  readonly signingKey: SigningKey;
  readonly db: Database;
  readonly store: ServerKeyStore;
  readonly logger: Logger;
  readonly now: () => number;
  readonly options?: KeyServiceOptions;
}

interface Backoff {
  readonly failures: number;
  readonly retryAt: number;
}

/** Shortest time between two key fetches from a server that a request (not yet authenticated) prompts. */
export const PEER_RETRY_MS = 2_000;

/** Query criteria of the notary endpoints: server → key ID → minimum valid-until time. */
export type NotaryCriteria = ReadonlyMap<string, ReadonlyMap<string, number | undefined>>;

/** Our keys, the notary, and the remote key cache. */
export class KeyService {
  readonly #deps: KeyServiceDeps;
  readonly #opts: Required<KeyServiceOptions>;
  #client: KeyFetchClient | undefined;
  #oldKeys: OldVerifyKey[] = [];
  #published: { body: ServerKeysResponse; builtAt: number } | undefined;
  readonly #cache = new Map<string, Map<string, KnownVerifyKey>>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #lastFetch = new Map<string, number>();
  readonly #backoff = new Map<string, Backoff>();
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #lastAttempt = new Map<string, number>();

  constructor(deps: KeyServiceDeps) {
    this.#deps = deps;
    this.#opts = {
      trustedNotaries: deps.options?.trustedNotaries ?? [],
      fetchTimeoutMs: deps.options?.fetchTimeoutMs ?? 10_000,
      minBackoffMs: deps.options?.minBackoffMs ?? 30_000,
      maxBackoffMs: deps.options?.maxBackoffMs ?? 60 * 60 * 1000,
      refetchIntervalMs: deps.options?.refetchIntervalMs ?? 60_000,
    };
  }

  /** Our server name. */
  get serverName(): string {
    return this.#deps.serverName;
  }

  /** Our current signing key. */
  get signingKey(): SigningKey {
    return this.#deps.signingKey;
  }

  /** Loads our former keys from storage. Call once before serving. */
  async init(): Promise<void> {
    const old = await this.#deps.store.ownOldKeys();
    this.#oldKeys = [...old]
      .filter(([keyId]) => keyId !== this.#deps.signingKey.keyId)
      .map(([keyId, r]) => ({ keyId, publicKey: decodeBase64(r.publicKey), expiredTs: r.expiredTs }));
    this.#published = undefined;
  }

  /** Sets the client keys are fetched with (it is built from this service's signing key). */
  setClient(client: KeyFetchClient): void {
    this.#client = client;
  }

  /** Our former keys, as published in `old_verify_keys`. */
  get oldKeys(): readonly OldVerifyKey[] {
    return this.#oldKeys;
  }

  /**
   * The body of `GET /_matrix/key/v2/server`: our current key, our old keys, valid for a day, signed.
   * Rebuilt at most hourly, so it is always valid for at least 23 hours ("Publishing Keys" asks not to
   * publish responses that expire within the hour).
   */
  serverKeys(): ServerKeysResponse {
    const now = this.#deps.now();
    if (this.#published === undefined || now - this.#published.builtAt > 60 * 60 * 1000) {
      this.#published = {
        builtAt: now,
        body: buildServerKeys({
          serverName: this.#deps.serverName,
          key: this.#deps.signingKey,
          oldKeys: this.#oldKeys,
          validUntilTs: now + PUBLISHED_KEY_VALIDITY_MS,
        }),
      };
    }
    return this.#published.body;
  }

  #ownKey(keyId: string): KnownVerifyKey | undefined {
    const current = this.#deps.signingKey;
    if (keyId === current.keyId) {
      return { publicKey: current.publicKey, validUntilTs: this.#deps.now() + PUBLISHED_KEY_VALIDITY_MS };
    }
    const old = this.#oldKeys.find((k) => k.keyId === keyId);
    return old && { publicKey: old.publicKey, expiredTs: old.expiredTs };
  }

  /**
   * A key from the cache only, without I/O: for `checkEventSignatures` after
   * {@link prefetch}/{@link prefetchForEvents}. Bind-free (an arrow property).
   */
  readonly lookupSync = (serverName: string, keyId: string): KnownVerifyKey | undefined => {
    if (serverName === this.#deps.serverName) return this.#ownKey(keyId);
    return this.#cache.get(serverName)?.get(keyId);
  };

  /**
   * A server's key, fetching it when it is unknown or not valid until `minimumValidUntilTs`
   * (default now). Returns what is known when fetching fails (possibly a stale key, which request
   * verification refuses as expired), or undefined. Bind-free (an arrow property).
   */
  readonly lookup = async (
    serverName: string,
    keyId: string,
    minimumValidUntilTs?: number,
  ): Promise<KnownVerifyKey | undefined> => {
    if (serverName === this.#deps.serverName) return this.#ownKey(keyId);
    await this.#load(serverName);
    const min = minimumValidUntilTs ?? this.#deps.now();
    if (!usable(this.#cache.get(serverName)?.get(keyId), min)) await this.#refresh(serverName);
    return this.#cache.get(serverName)?.get(keyId);
  };

  /**
   * {@link lookup} for verifying a request from `serverName`: a server that is asking us something is
   * up, so a key fetch that is backing off is tried again at once — at most every
   * {@link PEER_RETRY_MS} per server, since the origin of a request is not yet authenticated here.
   */
  readonly lookupForRequest = async (
    serverName: string,
    keyId: string,
    minimumValidUntilTs?: number,
  ): Promise<KnownVerifyKey | undefined> => {
    const backoff = this.#backoff.get(serverName);
    const now = this.#deps.now();
    if (backoff && backoff.retryAt > now && now - (this.#lastAttempt.get(serverName) ?? 0) >= PEER_RETRY_MS) {
      this.#backoff.set(serverName, { ...backoff, retryAt: now });
    }
    return this.lookup(serverName, keyId, minimumValidUntilTs);
  };

  /**
   * Makes the keys `wanted` (server → key IDs) available to {@link lookupSync}, fetching those that
   * are unknown or not valid until `minimumValidUntilTs` (default now). Servers are fetched in
   * parallel; failures leave the keys unknown (the signature check then fails for them).
   */
  async prefetch(
    wanted: ReadonlyMap<string, Iterable<string>>,
    minimumValidUntilTs?: ReadonlyMap<string, number> | number,
  ): Promise<void> {
    const now = this.#deps.now();
    await Promise.all(
      [...wanted].map(async ([serverName, keyIds]) => {
        if (serverName === this.#deps.serverName || !isValidServerName(serverName)) return;
        await this.#load(serverName);
        const min =
          typeof minimumValidUntilTs === "number"
            ? minimumValidUntilTs
            : (minimumValidUntilTs?.get(serverName) ?? now);
        const known = this.#cache.get(serverName);
        for (const keyId of keyIds) {
          if (!usable(known?.get(keyId), min)) {
            await this.#refresh(serverName);
            return;
          }
        }
      }),
    );
  }

  /**
   * Fetches the keys needed to check the signatures of `events` (of a room of `roomVersion`): for
   * each required signatory, the ed25519 key IDs it signed with, valid at the event's
   * `origin_server_ts`. Then `checkEventSignatures(event, roomVersion, keys.lookupSync)`.
   */
  async prefetchForEvents(events: readonly object[], roomVersion: string): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    const minimum = new Map<string, number>();
    for (const event of events) {
      const ev = event as { signatures?: unknown; origin_server_ts?: unknown };
      const signatures = isJsonObject(ev.signatures) ? ev.signatures : {};
      const ts = typeof ev.origin_server_ts === "number" ? ev.origin_server_ts : 0;
      let servers: string[];
      try {
        servers = requiredSignatories(event, roomVersion);
      } catch {
        continue;
      }
      for (const serverName of servers) {
        const bySever = signatures[serverName];
        if (!isJsonObject(bySever)) continue;
        const ids = wanted.get(serverName) ?? new Set<string>();
        for (const keyId of Object.keys(bySever)) if (keyId.startsWith("ed25519:")) ids.add(keyId);
        wanted.set(serverName, ids);
        minimum.set(serverName, Math.max(minimum.get(serverName) ?? 0, ts));
      }
    }
    await this.prefetch(wanted, minimum);
  }

  /**
   * Answers a notary query ("Querying Keys Through Another Server"): for each server, its key
   * response as it published it, with our signature added. Cached responses are served when they
   * satisfy the criteria; otherwise the server is asked (within the fetch timeout), and when it cannot
   * be reached a cached response is served anyway. Servers that are unreachable and unknown are left
   * out. Our own keys come from {@link serverKeys}. `minimumValidUntilTs` applies to every server
   * (default now); per-key criteria may ask for later times.
   */
  async notaryQuery(criteria: NotaryCriteria, minimumValidUntilTs?: number): Promise<ServerKeysResponse[]> {
    const now = minimumValidUntilTs ?? this.#deps.now();
    const results = await Promise.all(
      [...criteria].map(async ([serverName, keys]): Promise<ServerKeysResponse[]> => {
        if (serverName === this.#deps.serverName) return [this.serverKeys()];
        if (!isValidServerName(serverName)) return [];
        let min = now;
        for (const ts of keys.values()) if (ts !== undefined && ts > min) min = ts;
        let cached = await this.#deps.store.response(serverName);
        const satisfies = (record: typeof cached) => {
          if (record === undefined || record.validUntilTs < min) return false;
          const body = JSON.parse(record.json) as ServerKeysResponse;
          return [...keys.keys()].every((k) => k in body.verify_keys || k in (body.old_verify_keys ?? {}));
        };
        if (!satisfies(cached)) {
          await this.#refresh(serverName, true);
          cached = await this.#deps.store.response(serverName);
        }
        if (cached === undefined) return [];
        const body = JSON.parse(cached.json) as ServerKeysResponse;
        return [signJson(body, this.#deps.serverName, this.#deps.signingKey)];
      }),
    );
    return results.flat();
  }

  /** Loads a server's stored keys into the memory cache (once). */
  #load(serverName: string): Promise<void> {
    if (this.#cache.has(serverName)) return Promise.resolve();
    let loading = this.#loading.get(serverName);
    if (!loading) {
      loading = (async () => {
        const stored = await this.#deps.store.keysOf(serverName);
        if (!this.#cache.has(serverName)) {
          this.#cache.set(serverName, new Map([...stored].map(([id, r]) => [id, fromRecord(r)])));
        }
      })().finally(() => this.#loading.delete(serverName));
      this.#loading.set(serverName, loading);
    }
    return loading;
  }

  /**
   * Fetches a server's keys unless it is backing off or was fetched moments ago (`force` skips the
   * latter, for notary queries asking for fresher keys). Concurrent calls share one fetch.
   */
  #refresh(serverName: string, force = false): Promise<void> {
    const inflight = this.#inflight.get(serverName);
    if (inflight) return inflight;
    const now = this.#deps.now();
    const backoff = this.#backoff.get(serverName);
    if (backoff && backoff.retryAt > now) return Promise.resolve();
    const last = this.#lastFetch.get(serverName);
    if (!force && last !== undefined && now - last < this.#opts.refetchIntervalMs) return Promise.resolve();
    const run = this.#fetch(serverName).finally(() => this.#inflight.delete(serverName));
    this.#inflight.set(serverName, run);
    return run;
  }

  async #fetch(serverName: string): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#lastAttempt.set(serverName, this.#deps.now());
    let verified: VerifiedServerKeys | undefined;
    try {
      const { json } = await client.request(serverName, "GET", "/_matrix/key/v2/server", {
        timeoutMs: this.#opts.fetchTimeoutMs,
      });
      verified = verifyServerKeys(json, serverName, this.#deps.now());
    } catch (err) {
      this.#deps.logger.info({ err, serverName }, "fetching server keys failed");
      verified = await this.#fromNotaries(serverName, client);
    }
    const now = this.#deps.now();
    if (!verified) {
      const failures = (this.#backoff.get(serverName)?.failures ?? 0) + 1;
      const delay = Math.min(this.#opts.minBackoffMs * 2 ** (failures - 1), this.#opts.maxBackoffMs);
      this.#backoff.set(serverName, { failures, retryAt: now + delay });
      return;
    }
    this.#backoff.delete(serverName);
    this.#lastFetch.set(serverName, now);
    await this.#deps.db.write(this.#deps.store.storeOps(verified, now));
    const cache = this.#cache.get(serverName) ?? new Map<string, KnownVerifyKey>();
    for (const [keyId, k] of verified.verifyKeys) cache.set(keyId, k);
    this.#cache.set(serverName, cache);
  }

  async #fromNotaries(serverName: string, client: KeyFetchClient): Promise<VerifiedServerKeys | undefined> {
    for (const notary of this.#opts.trustedNotaries) {
      if (notary === serverName || notary === this.#deps.serverName) continue;
      try {
        const notaryKeys = this.#cache.get(notary);
        const { json } = await client.request(notary, "POST", "/_matrix/key/v2/query", {
          body: { server_keys: { [serverName]: {} } },
          timeoutMs: this.#opts.fetchTimeoutMs,
        });
        const result = verifyNotaryResponse(json, {
          notary,
          ...(notaryKeys && notaryKeys.size > 0 ? { notaryKeys } : {}),
          servers: [serverName],
          now: this.#deps.now(),
        });
        // The freshest entry wins.
        const best = result.keys.sort((a, b) => b.validUntilTs - a.validUntilTs)[0];
        if (best) return best;
      } catch (err) {
        this.#deps.logger.info({ err, serverName, notary }, "querying notary for keys failed");
      }
    }
    return undefined;
  }
}

/** Whether a known key can be used for something that needs it valid until `min`. */
function usable(key: KnownVerifyKey | undefined, min: number): boolean {
  if (key === undefined) return false;
  // An old key's record never changes: its expiry is final.
  if (key.expiredTs !== undefined) return true;
  return key.validUntilTs === undefined || key.validUntilTs >= min;
}

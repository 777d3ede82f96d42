/**
 * Server signing keys as published and fetched (server-server API, "Retrieving server keys":
 * "Publishing Keys", `GET /_matrix/key/v2/server`; "Querying Keys Through Another Server",
 * `GET`/`POST /_matrix/key/v2/query`).
 */
import type { SigningKey } from "../crypto/index.js";
import { decodeBase64, encodeBase64, signJson, verifyJson } from "../crypto/index.js";
import type { KnownVerifyKey } from "../events/index.js";
import { isValidServerName } from "../ids/index.js";

/**
 * The longest a published key list is believed, from the time it is checked: "Servers MUST use the
 * lesser of [valid_until_ts] and 7 days into the future when determining if a key is valid."
 */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

/** A key the server used to sign with, in `old_verify_keys`. */
export interface OldVerifyKey {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /** When the server stopped using it (ms since epoch). */
  readonly expiredTs: number;
}

/** The body of `GET /_matrix/key/v2/server` (definitions/keys.yaml). */
export interface ServerKeysResponse {
  server_name: string;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys?: Record<string, { key: string; expired_ts: number }>;
  valid_until_ts: number;
  signatures: Record<string, Record<string, string>>;
}

/** What {@link buildServerKeys} publishes. */
export interface BuildServerKeysOptions {
  readonly serverName: string;
  /** The current signing key(s): listed in `verify_keys`, and each signs the response. */
  readonly key: SigningKey | readonly SigningKey[];
  readonly oldKeys?: readonly OldVerifyKey[];
  /**
   * When requesting servers should refresh the list (ms since epoch). The spec asks servers not to
   * publish responses that expire within the hour.
   */
  readonly validUntilTs: number;
}

/** Builds the signed body of `GET /_matrix/key/v2/server` ("Publishing Keys"). */
export function buildServerKeys(options: BuildServerKeysOptions): ServerKeysResponse {
  const keys = Array.isArray(options.key)
    ? (options.key as readonly SigningKey[])
    : [options.key as SigningKey];
  if (keys.length === 0) throw new TypeError("A server publishes at least one verify key");
  const verifyKeys: Record<string, { key: string }> = {};
  for (const key of keys) verifyKeys[key.keyId] = { key: encodeBase64(key.publicKey) };
  const body: Omit<ServerKeysResponse, "signatures"> & { signatures?: ServerKeysResponse["signatures"] } = {
    server_name: options.serverName,
    verify_keys: verifyKeys,
    valid_until_ts: options.validUntilTs,
  };
  // `old_verify_keys` is optional in the spec, but always published, empty when there are none:
  // Synapse up to at least 1.67 reads it unconditionally and fails to fetch keys without it.
  const old: Record<string, { key: string; expired_ts: number }> = {};
  for (const k of options.oldKeys ?? [])
    old[k.keyId] = { key: encodeBase64(k.publicKey), expired_ts: k.expiredTs };
  body.old_verify_keys = old;
  let signed = body;
  for (const key of keys) signed = signJson(signed, options.serverName, key);
  return signed as ServerKeysResponse;
}

/** Why a key response was refused. */
export type ServerKeysFailure =
  | "malformed"
  | "wrong-server"
  | "unsigned"
  | "bad-signature"
  | "notary-signature";

/**
 * Thrown for a key response that cannot be trusted. Match on `.name` and `.reason`. Not a
 * `MatrixError`: a bad response from a remote server is not an error to show a client as ours.
 */
export class ServerKeysError extends Error {
  override readonly name: string = "ServerKeysError";
  constructor(
    readonly reason: ServerKeysFailure,
    /** The server whose keys were refused (as named in the response, if it named one). */
    readonly serverName: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The keys of one server, checked. */
export interface VerifiedServerKeys {
  readonly serverName: string;
  /**
   * Every key by key ID, current ones with `validUntilTs` (already capped at now + 7 days) and old
   * ones with `expiredTs`. Keys of algorithms other than ed25519 are left out.
   */
  readonly verifyKeys: Map<string, KnownVerifyKey>;
  /** `valid_until_ts` capped at `now + MAX_KEY_VALIDITY_MS`. */
  readonly validUntilTs: number;
  /** The response as received, e.g. for a notary to serve again (with its own signature added). */
  readonly raw: ServerKeysResponse;
}

// The key ID is algorithm and version; "The version must have characters matching [a-zA-Z0-9_]".
const KEY_ID = /^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodePublicKey(value: unknown, serverName: string, keyId: string): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (typeof value === "string") {
    try {
      bytes = decodeBase64(value);
    } catch {
      bytes = undefined;
    }
  }
  if (bytes === undefined || bytes.length !== 32) {
    throw new ServerKeysError(
      "malformed",
      serverName,
      `Key ${keyId} of ${serverName} is not a 32-byte Base64 key`,
    );
  }
  return bytes;
}

/**
 * Checks a key response ("Publishing Keys") and returns its keys.
 *
 * - it must have the shape of definitions/keys.yaml: `server_name`, `verify_keys` (at least one),
 *   optional `old_verify_keys` with integer `expired_ts`, integer `valid_until_ts`, `signatures`;
 * - `server_name` must be the server asked about;
 * - it must be signed by the server itself with every ed25519 key it lists in `verify_keys`
 *   (proof that it holds each key it publishes), and there must be at least one such key.
 *
 * NOTSPEC: the spec says only that the response is signed "using the verify_keys". Synapse accepts a
 * response signed by any one listed key; we require every listed ed25519 key, as Dendrite does.
 *
 * A response whose `valid_until_ts` has passed is still returned (notaries serve cached responses of
 * servers that are offline, to check old events); `validUntilTs` tells the caller how fresh it is.
 *
 * @param now - the current time (ms since epoch), for the 7-day cap.
 * @throws {@link ServerKeysError} if the response is malformed, about another server, or not signed.
 */
export function verifyServerKeys(
  response: unknown,
  expectedServerName: string,
  now: number,
): VerifiedServerKeys {
  if (!isObject(response)) throw new ServerKeysError("malformed", undefined, "Key response is not an object");
  const serverName = response.server_name;
  if (typeof serverName !== "string" || !isValidServerName(serverName)) {
    throw new ServerKeysError("malformed", undefined, "Key response has no valid server_name");
  }
  if (serverName !== expectedServerName) {
    throw new ServerKeysError(
      "wrong-server",
      serverName,
      `Key response is for ${serverName}, not ${expectedServerName}`,
    );
  }
  const validUntil = response.valid_until_ts;
  if (typeof validUntil !== "number" || !Number.isSafeInteger(validUntil)) {
    throw new ServerKeysError("malformed", serverName, "Key response has no integer valid_until_ts");
  }
  const validUntilTs = Math.min(validUntil, now + MAX_KEY_VALIDITY_MS);
  if (!isObject(response.verify_keys)) {
    throw new ServerKeysError("malformed", serverName, "Key response has no verify_keys object");
  }
  if (!isObject(response.signatures)) {
    throw new ServerKeysError("unsigned", serverName, "Key response has no signatures");
  }
  const verifyKeys = new Map<string, KnownVerifyKey>();
  for (const [keyId, entry] of Object.entries(response.verify_keys)) {
    if (!KEY_ID.test(keyId) || !isObject(entry)) {
      throw new ServerKeysError("malformed", serverName, `Malformed verify key ${JSON.stringify(keyId)}`);
    }
    if (!keyId.startsWith("ed25519:")) continue;
    verifyKeys.set(keyId, { publicKey: decodePublicKey(entry.key, serverName, keyId), validUntilTs });
  }
  if (verifyKeys.size === 0) {
    throw new ServerKeysError(
      "malformed",
      serverName,
      `Key response of ${serverName} lists no ed25519 verify key`,
    );
  }
  for (const [keyId, key] of verifyKeys) {
    const signed = (response.signatures as Record<string, unknown>)[serverName];
    if (!isObject(signed) || typeof signed[keyId] !== "string") {
      throw new ServerKeysError(
        "unsigned",
        serverName,
        `Key response of ${serverName} is not signed by ${keyId}`,
      );
    }
    if (!verifyJson(response, serverName, keyId, key.publicKey)) {
      throw new ServerKeysError(
        "bad-signature",
        serverName,
        `Bad signature by ${keyId} on keys of ${serverName}`,
      );
    }
  }
  if (response.old_verify_keys !== undefined) {
    if (!isObject(response.old_verify_keys)) {
      throw new ServerKeysError("malformed", serverName, "old_verify_keys is not an object");
    }
    for (const [keyId, entry] of Object.entries(response.old_verify_keys)) {
      if (!KEY_ID.test(keyId) || !isObject(entry)) {
        throw new ServerKeysError(
          "malformed",
          serverName,
          `Malformed old verify key ${JSON.stringify(keyId)}`,
        );
      }
      if (!keyId.startsWith("ed25519:") || verifyKeys.has(keyId)) continue;
      const expiredTs = entry.expired_ts;
      if (typeof expiredTs !== "number" || !Number.isSafeInteger(expiredTs)) {
        throw new ServerKeysError(
          "malformed",
          serverName,
          `Old verify key ${keyId} has no integer expired_ts`,
        );
      }
      verifyKeys.set(keyId, { publicKey: decodePublicKey(entry.key, serverName, keyId), expiredTs });
    }
  }
  return { serverName, verifyKeys, validUntilTs, raw: response as unknown as ServerKeysResponse };
}

/** Options of {@link verifyNotaryResponse}. */
export interface VerifyNotaryOptions {
  /** The notary's server name. */
  readonly notary: string;
  /**
   * The notary's own current keys. When given, every entry must carry a valid signature by at least
   * one of them ("The notary server must sign the keys returned by the queried server"). When
   * absent, notary signatures are not checked: only the servers' self-signatures are.
   */
  readonly notaryKeys?: ReadonlyMap<string, KnownVerifyKey>;
  /** The servers asked about; entries about other servers are reported as failures. */
  readonly servers?: Iterable<string>;
  /** The current time (ms since epoch). */
  readonly now: number;
}

/** The outcome of {@link verifyNotaryResponse}. */
export interface NotaryResult {
  /** The entries that passed, in response order (a server may appear more than once). */
  readonly keys: VerifiedServerKeys[];
  /** The entries that were refused, and why. */
  readonly failures: ServerKeysError[];
}

/**
 * Checks a notary's answer to `GET /_matrix/key/v2/query/{serverName}` or `POST /_matrix/key/v2/query`
 * ("Querying Keys Through Another Server"). Each `server_keys` entry must pass
 * {@link verifyServerKeys} for its own `server_name` (a notary cannot vouch for keys the server did not
 * sign) and, when `notaryKeys` is given, carry a valid signature by the notary. Bad entries are
 * returned as failures rather than thrown, so one bad entry does not hide the others.
 *
 * @throws {@link ServerKeysError} (`malformed`) if the response has no `server_keys` array.
 */
export function verifyNotaryResponse(response: unknown, options: VerifyNotaryOptions): NotaryResult {
  if (!isObject(response) || !Array.isArray(response.server_keys)) {
    throw new ServerKeysError("malformed", options.notary, "Notary response has no server_keys array");
  }
  const asked = options.servers === undefined ? undefined : new Set(options.servers);
  const keys: VerifiedServerKeys[] = [];
  const failures: ServerKeysError[] = [];
  for (const entry of response.server_keys as unknown[]) {
    const named = isObject(entry) && typeof entry.server_name === "string" ? entry.server_name : undefined;
    if (named === undefined) {
      failures.push(new ServerKeysError("malformed", undefined, "Notary entry has no server_name"));
      continue;
    }
    if (asked !== undefined && !asked.has(named)) {
      failures.push(
        new ServerKeysError("wrong-server", named, `Notary returned keys for ${named}, not asked`),
      );
      continue;
    }
    let verified: VerifiedServerKeys;
    try {
      verified = verifyServerKeys(entry, named, options.now);
    } catch (err) {
      if (err instanceof ServerKeysError) {
        failures.push(err);
        continue;
      }
      throw err;
    }
    if (
      options.notaryKeys !== undefined &&
      !signedByNotary(entry as object, options.notary, options.notaryKeys)
    ) {
      failures.push(
        new ServerKeysError(
          "notary-signature",
          named,
          `Keys of ${named} are not signed by notary ${options.notary}`,
        ),
      );
      continue;
    }
    keys.push(verified);
  }
  return { keys, failures };
}

function signedByNotary(
  entry: object,
  notary: string,
  notaryKeys: ReadonlyMap<string, KnownVerifyKey>,
): boolean {
  const signatures = (entry as { signatures?: unknown }).signatures;
  const byNotary = isObject(signatures) ? signatures[notary] : undefined;
  if (!isObject(byNotary)) return false;
  for (const keyId of Object.keys(byNotary)) {
    const key = notaryKeys.get(keyId);
    if (key === undefined || key.expiredTs !== undefined) continue;
    if (verifyJson(entry, notary, keyId, key.publicKey)) return true;
  }
  return false;
}

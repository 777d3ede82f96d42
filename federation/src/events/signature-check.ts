/**
 * Which servers must have signed an event, and checking those signatures against known keys
 * (server-server API, "Validating hashes and signatures on received events"; appendices, "Checking
 * for a Signature"; room version 5+, "Signing key validity period").
 */
import { roomVersionRules } from "../room-versions/index.js";
import { verifyEventSignature } from "./signing.js";

/** A server's verify key as this server knows it. */
export interface KnownVerifyKey {
  readonly publicKey: Uint8Array;
  /** Until when the key may be used to verify (ms since epoch); absent for keys with no limit. */
  readonly validUntilTs?: number;
  /** When the key stopped being used (old_verify_keys), if it did. */
  readonly expiredTs?: number;
}

/** Looks up a server's verify key; undefined when unknown. Keys are fetched before this runs. */
export type VerifyKeyLookup = (serverName: string, keyId: string) => KnownVerifyKey | undefined;

function domainOf(id: unknown): string | undefined {
  if (typeof id !== "string") return undefined;
  const colon = id.indexOf(":");
  return colon === -1 ? undefined : id.slice(colon + 1);
}

/**
 * The servers whose signatures an event needs:
 * - the sender's server, unless the event is an invite through a third-party invite (there the
 *   sender must match the third-party invite, and the server sending the event may be another);
 * - room versions 1 and 2: also the server in the `event_id`, if different;
 * - restricted joins (v8+): the server of `join_authorised_via_users_server`.
 */
export function requiredSignatories(event: object, roomVersion: string): string[] {
  const rules = roomVersionRules(roomVersion);
  const ev = event as Record<string, unknown>;
  const content = (typeof ev.content === "object" && ev.content !== null ? ev.content : {}) as Record<
    string,
    unknown
  >;
  const servers = new Set<string>();
  const isThirdPartyInvite =
    ev.type === "m.room.member" && content.membership === "invite" && "third_party_invite" in content;
  const sender = domainOf(ev.sender);
  if (sender && !isThirdPartyInvite) servers.add(sender);
  if (rules.eventIdFormat === "server-assigned") {
    const idServer = domainOf(ev.event_id);
    if (idServer) servers.add(idServer);
  }
  if (rules.auth.restrictedJoins && ev.type === "m.room.member" && content.membership === "join") {
    const via = domainOf(content.join_authorised_via_users_server);
    if (via) servers.add(via);
  }
  return [...servers];
}

/** Why an event's signatures were refused. */
export interface SignatureFailure {
  readonly serverName: string;
  readonly reason: "missing" | "no-known-key" | "invalid";
  readonly keyId?: string;
}

/**
 * Checks the signatures of every required signatory. For each server: it must have signed; keys this
 * server does not know (or whose algorithm is not ed25519) are skipped, as are keys expired before
 * the event (from v5, a key's `valid_until_ts` must cover the event's `origin_server_ts`); at least
 * one known key must remain, and every remaining signature must verify. Returns the failures (empty
 * when the event is validly signed).
 */
export function checkEventSignatures(
  event: object,
  roomVersion: string,
  lookup: VerifyKeyLookup,
): SignatureFailure[] {
  const rules = roomVersionRules(roomVersion);
  const ev = event as { signatures?: unknown; origin_server_ts?: unknown };
  const ts = typeof ev.origin_server_ts === "number" ? ev.origin_server_ts : 0;
  const signatures = (
    typeof ev.signatures === "object" && ev.signatures !== null ? ev.signatures : {}
  ) as Record<string, unknown>;
  const failures: SignatureFailure[] = [];
  for (const serverName of requiredSignatories(event, roomVersion)) {
    const byServer = signatures[serverName];
    if (typeof byServer !== "object" || byServer === null) {
      failures.push({ serverName, reason: "missing" });
      continue;
    }
    let checked = 0;
    let invalid: string | undefined;
    for (const keyId of Object.keys(byServer)) {
      if (!keyId.startsWith("ed25519:")) continue;
      const key = lookup(serverName, keyId);
      if (!key) continue;
      if (key.expiredTs !== undefined && key.expiredTs < ts) continue;
      if (rules.enforceKeyValidity && key.validUntilTs !== undefined && key.validUntilTs < ts) continue;
      checked++;
      if (!verifyEventSignature(event, serverName, keyId, key.publicKey, roomVersion)) {
        invalid = keyId;
        break;
      }
    }
    if (invalid !== undefined) failures.push({ serverName, reason: "invalid", keyId: invalid });
    else if (checked === 0) failures.push({ serverName, reason: "no-known-key" });
  }
  return failures;
}

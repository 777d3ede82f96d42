/**
 * The one outbound federation client of the server: signs as our server name with our current key,
 * resolves destinations with real DNS and `.well-known` ("Resolving server names"), and connects
 * through the Node transport with the configured TLS and private-address policy.
 */

import { resolveSrv } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import {
  createFederationClient,
  createNodeTransport,
  createServerResolver,
  createWellKnownFetcher,
  type FederationClient,
  type SigningKey,
  type SrvRecord,
} from "@hearth/federation";
import type { HearthConfig } from "../config/config.js";

/** Options of {@link createOutboundFederation}, mostly for tests. */
export interface OutboundOptions {
  /** Default request timeout (default 60 s). */
  readonly timeoutMs?: number;
  /** SRV lookups; defaults to `node:dns/promises` `resolveSrv`. */
  readonly resolveSrv?: (name: string) => Promise<readonly SrvRecord[]>;
  readonly userAgent?: string;
}

/** DNS answers meaning "no such record": discovery moves on to the next step. */
const NO_RECORD = new Set(["ENOTFOUND", "ENODATA", "ENONAME", "NXDOMAIN", "ENOTIMP", "EREFUSED"]);

async function dnsSrv(name: string): Promise<readonly SrvRecord[]> {
  try {
    return await resolveSrv(name);
  } catch (e) {
    if (NO_RECORD.has((e as NodeJS.ErrnoException).code ?? "")) return [];
    throw e;
  }
}

/** The PEM CAs to trust: Node's defaults plus the configured file, or undefined for the defaults. */
export function trustedCas(caFile: string | undefined): string[] | undefined {
  if (caFile === undefined) return undefined;
  return [...rootCertificates, readFileSync(caFile, "utf8")];
}

/**
 * Builds the server's federation client: origin = our server name, signed with `keys.signingKey`,
 * `createNodeTransport` with `allowPrivateAddresses: federation.allowPrivate`, `rejectUnauthorized:
 * federation.verifyTls` and the extra CAs of `federation.caFile`, and `createServerResolver` with
 * real SRV lookups and the `.well-known` fetcher over the same transport.
 */
export function createOutboundFederation(
  config: Pick<HearthConfig, "serverName" | "federation">,
  keys: { readonly signingKey: SigningKey },
  options: OutboundOptions = {},
): FederationClient {
  const ca = trustedCas(config.federation.caFile);
  const fetch = createNodeTransport({
    allowPrivateAddresses: config.federation.allowPrivate,
    rejectUnauthorized: config.federation.verifyTls,
    ...(ca !== undefined ? { ca } : {}),
  });
  const resolve = createServerResolver({
    fetchWellKnown: createWellKnownFetcher(fetch),
    resolveSrv: options.resolveSrv ?? dnsSrv,
  });
  return createFederationClient({
    origin: config.serverName,
    key: keys.signingKey,
    fetch,
    resolve,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    userAgent: options.userAgent ?? "Hearth",
  });
}

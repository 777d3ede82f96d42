/**
 * The server-server transport: request signing and verification with `X-Matrix`, server key
 * responses (direct and through notaries), server discovery, the SSRF guard, and a signed federation
 * HTTP client over an injected transport (server-server API, "Server discovery", "Retrieving server
 * keys", "Authentication").
 */
export { type AddressClass, classifyAddress, refuseUnsafeAddress, UnsafeAddressError } from "./address.js";
export {
  createFederationClient,
  encodeQuery,
  type FederationClient,
  type FederationClientOptions,
  FederationRequestError,
  type FederationRequestOptions,
  type FederationResponse,
  FederationTransportError,
  type FederationTransportFailure,
  type QueryNotaryOptions,
  type QueryParams,
} from "./client.js";
export {
  createServerResolver,
  DEFAULT_FEDERATION_PORT,
  type DiscoveryDeps,
  type DiscoveryStep,
  orderSrvRecords,
  parseWellKnown,
  type ResolvedServer,
  resolveServer,
  ServerDiscoveryError,
  type ServerResolver,
  type SrvRecord,
  WELL_KNOWN_CACHE,
  WellKnownCache,
  type WellKnownResponse,
  wellKnownCacheMs,
} from "./discovery.js";
export {
  type ConnectTarget,
  createWellKnownFetcher,
  type FederationFetch,
  type FederationHttpRequest,
  type FederationHttpResponse,
  type WellKnownFetcherOptions,
} from "./http.js";
export { createNodeTransport, type NodeTransportOptions } from "./node-transport.js";
export {
  type BuildServerKeysOptions,
  buildServerKeys,
  MAX_KEY_VALIDITY_MS,
  type NotaryResult,
  type OldVerifyKey,
  ServerKeysError,
  type ServerKeysFailure,
  type ServerKeysResponse,
  type VerifiedServerKeys,
  type VerifyNotaryOptions,
  verifyNotaryResponse,
  verifyServerKeys,
} from "./server-keys.js";
export {
  type AsyncVerifyKeyLookup,
  formatXMatrixHeader,
  parseXMatrixHeader,
  type ReceivedRequest,
  RequestAuthenticationError,
  type RequestAuthFailure,
  type RequestToSign,
  requestSigningJson,
  signRequest,
  verifyRequest,
  type XMatrixAuth,
  XMatrixHeaderError,
} from "./x-matrix.js";

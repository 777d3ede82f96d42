/**
 * @hearth/federation: the Matrix protocol as a pure library. Everything two servers must compute
 * identically lives here: canonical JSON, signing, event formats per room version, redaction,
 * identifiers, authorization rules and state resolution.
 */

export * from "./api/index.js";
export {
  AuthError,
  authEventTypes,
  type CheckEventAuthOptions,
  checkEventAuth,
  namedPowerLevel,
  parsePowerLevelsContent,
  requiredPowerLevel,
  roomCreators,
  userPowerLevel,
} from "./auth/index.js";
export {
  canonicalJson,
  canonicalJsonBytes,
  canonicalJsonEscapingLoneSurrogates,
  compareCodePoints,
  MAX_CANONICAL_JSON_DEPTH,
} from "./canonical-json/index.js";
export * from "./crypto/index.js";
export * from "./errors/index.js";
export * from "./events/index.js";
export * from "./gossip/index.js";
export * from "./ids/index.js";
export * from "./json/index.js";
export * from "./room-versions/index.js";
export * from "./state-res/index.js";
export * from "./transport/index.js";

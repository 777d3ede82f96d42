/**
 * The authorization rules of room versions 1–12, as pure functions: {@link checkEventAuth}, the
 * auth events selection ({@link authEventTypes}), and power level reading.
 */
export { AuthError } from "./auth-error.js";
export { type CheckEventAuthOptions, checkEventAuth } from "./check.js";
export { domainOf, isValidUserId } from "./identifiers.js";
export { type RuleNumbers, ruleNumbers } from "./numbering.js";
export {
  CREATOR_DEFAULT_POWER_LEVEL,
  NAMED_POWER_LEVELS,
  type NamedPowerLevel,
  namedPowerLevel,
  type ParsedPowerLevels,
  POWER_LEVEL_DEFAULTS,
  type PowerLevelsParse,
  type PowerLevelsProblem,
  parsePowerLevelsContent,
  parsePowerLevelValue,
  requiredPowerLevel,
  roomCreators,
  userPowerLevel,
} from "./power-levels.js";
export { type AuthSelectionInput, authEventTypes } from "./selection.js";
export { thirdPartyInvitePublicKeys, thirdPartyInviteSignatureMatches } from "./third-party-invite.js";

/**
 * Matrix identifiers as branded strings, parsed once at the edge (appendices, "Identifier Grammar").
 *
 * Each `parse…` function returns its input unchanged but branded, or throws an
 * {@link InvalidIdentifierError} (`M_INVALID_PARAM`); each `isValid…` predicate answers the same
 * question without throwing. Inside the server, functions take `UserId`, not `string`.
 */
export { type IdentifierKind, InvalidIdentifierError } from "./errors.js";
export {
  type EventId,
  eventIdServerName,
  isValidEventId,
  type ParseEventIdOptions,
  parseEventId,
  REFERENCE_HASH_LENGTH,
} from "./event-id.js";
export {
  isValidCommonNamespacedIdentifier,
  isValidOpaqueIdentifier,
  MAX_IDENTIFIER_BYTES,
  utf8ByteLength,
} from "./grammar.js";
export {
  isValidRoomAlias,
  parseRoomAlias,
  type RoomAlias,
  roomAliasLocalpart,
  roomAliasServerName,
} from "./room-alias.js";
export {
  isValidRoomId,
  type ParseRoomIdOptions,
  parseRoomId,
  type RoomId,
  roomIdFormat,
  roomIdFromCreateEventId,
  roomIdServerName,
} from "./room-id.js";
export {
  formatServerName,
  isIpv4Literal,
  isIpv6Literal,
  isValidServerName,
  MAX_SERVER_NAME_LENGTH,
  type ParsedServerName,
  parseServerName,
  type ServerName,
  type ServerNameKind,
} from "./server-name.js";
export {
  isValidLocalpartForRegistration,
  isValidUserId,
  localpartRegistrationProblem,
  type ParseUserIdOptions,
  parseUserId,
  type UserId,
  type UserIdCompliance,
  userIdCompliance,
  userLocalpart,
  userServerName,
} from "./user-id.js";

export { computeEventId, eventIdOf, roomIdFromCreateEvent } from "./event-id.js";
export { checkPduFormat, EventTooLargeError, eventSize, MAX_EVENT_BYTES, MAX_ID_BYTES } from "./format.js";
export { contentHash, eventForHashing, referenceHash, verifyContentHash } from "./hashes.js";
export { redactEvent } from "./redaction.js";
export {
  checkEventSignatures,
  type KnownVerifyKey,
  requiredSignatories,
  type SignatureFailure,
  type VerifyKeyLookup,
} from "./signature-check.js";
export { type SignedEvent, signEvent, verifyEventSignature } from "./signing.js";
export { parseStateMapKey, stateMapKey } from "./state-map-key.js";
export {
  authEventIds,
  type EventReference,
  type EventType,
  isStateEvent,
  type JsonObject,
  type JsonValue,
  type KnownEventType,
  type Pdu,
  prevEventIds,
  referenceId,
} from "./types.js";

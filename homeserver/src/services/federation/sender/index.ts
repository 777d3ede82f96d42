/**
 * The outbound federation sender: persisted per-destination queues of PDUs, best-effort EDUs,
 * transactions with retry, backoff and catch-up (server-server API, "Transactions").
 */
export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
export {
  type Edu,
  type PresenceUpdate,
  presenceEdu,
  type ReceiptData,
  receiptEdu,
  typingEdu,
} from "./edus.js";
export {
  createFederationSender,
  type DestinationStatus,
  type EnqueueRoomEventsOptions,
  type FederationSender,
  type FederationSenderDeps,
  type FederationSenderOptions,
} from "./sender.js";

/** Syncing: the sans-I/O accumulator, the transports (WebSocket stream, `/sync` long-poll) and the engine. */
export {
  type AccumulatorSnapshot,
  type PendingSnapshot,
  type RoomSnapshot,
  SyncAccumulator,
  type SyncChange,
} from "./accumulator.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { SyncEngine, type SyncEngineOptions, type SyncTransport } from "./engine.js";
export {
  runStream,
  STREAM_FEATURE,
  STREAM_PATH,
  type StreamAuth,
  type StreamEnd,
  type StreamErrorFrame,
  type StreamOptions,
  streamUrl,
} from "./stream.js";
export { globalWebSocketFactory, type WebSocketFactory, type WebSocketLike } from "./web-socket.js";

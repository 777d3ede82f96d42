/**
 * `@hearth/client-sdk`: a Matrix client library for browsers and Node. It syncs over Hearth's
 * WebSocket stream (`org.hearth.ws`) when the server offers it and over `/sync` long-polling
 * otherwise, keeps rooms and timelines as models, and sends with local echo.
 *
 * The core imports nothing Node-specific; in Node 20 (no global `WebSocket`), use
 * `@hearth/client-sdk/node`, which adds a WebSocket factory over `ws` and a file-backed store.
 */

export type { BasicEvent, ClientEvent, PublicRoom, SyncResponse } from "@hearth/federation/client";
export {
  type ClientEvents,
  type ClientOptions,
  type Credentials,
  createClient,
  MatrixClient,
  parseMxc,
  type SendOptions,
  type Session,
} from "./client.js";
export { Emitter, type EventMap } from "./emitter.js";
export { AbortedError, ConnectionError, type ErrCode, isMatrixError, MatrixError } from "./errors.js";
export * from "./http/index.js";
export * from "./models/index.js";
export * from "./store/index.js";
export * from "./sync/index.js";

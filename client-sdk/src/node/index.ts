/**
 * `@hearth/client-sdk/node`: what Node 20 needs beyond the core — a WebSocket factory over `ws`
 * (Node 20 has no global `WebSocket`) and a file-backed store — and {@link createNodeClient}, which
 * wires both in.
 */
import { type ClientOptions, createClient, type MatrixClient } from "../client.js";
import { FileStore } from "./file-store.js";
import { nodeWebSocket } from "./web-socket.js";

export { FileStore } from "./file-store.js";
export { type NodeWebSocketOptions, nodeWebSocket } from "./web-socket.js";

/**
 * A client for Node: the stream over `ws`, and a {@link FileStore} at `storePath` when given (else
 * the options' store, else memory).
 */
export function createNodeClient(options: ClientOptions & { readonly storePath?: string }): MatrixClient {
  const { storePath, ...rest } = options;
  return createClient({
    webSocket: nodeWebSocket(),
    ...rest,
    ...(storePath ? { store: new FileStore(storePath) } : {}),
  });
}

/**
 * The WebSocket the stream needs: the browser's `WebSocket` has this shape, and so does the `ws`
 * package's (the Node adapter, `@hearth/client-sdk/node`, provides a factory for it).
 */

/** The parts of a WebSocket the SDK uses (the browser API's `on…` handlers). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a WebSocket to `url` (`ws:` or `wss:`). */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** A factory over the global `WebSocket` (browsers, Node 22+), or `undefined` when there is none. */
export function globalWebSocketFactory(): WebSocketFactory | undefined {
  const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  return WS ? (url) => new WS(url) : undefined;
}

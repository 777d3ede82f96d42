/**
 * A WebSocket factory over the `ws` package, for Node 20 (which has no global `WebSocket`). It also
 * watches the server's pings (the stream's server pings every 30 s, `specs/websocket-sync.md` §4):
 * a connection that has heard nothing for `deadAfterMs` is terminated, so a silently dropped
 * connection is noticed and the client reconnects.
 */
import WebSocket from "ws";
import type { WebSocketFactory, WebSocketLike } from "../sync/web-socket.js";

/** Options of {@link nodeWebSocket}. */
export interface NodeWebSocketOptions {
  /** Terminate a connection silent (no frame, no ping) for this long (default 75 s; 0: never). */
  readonly deadAfterMs?: number;
  /** Extra headers for the upgrade request. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A {@link WebSocketFactory} over `ws`. */
export function nodeWebSocket(options: NodeWebSocketOptions = {}): WebSocketFactory {
  const deadAfterMs = options.deadAfterMs ?? 75_000;
  return (url) => {
    const ws = new WebSocket(url, { headers: { ...options.headers }, perMessageDeflate: false });
    if (deadAfterMs > 0) {
      let heard = Date.now();
      const alive = () => {
        heard = Date.now();
      };
      ws.on("ping", alive);
      ws.on("message", alive);
      const timer = setInterval(
        () => {
          if (Date.now() - heard > deadAfterMs) ws.terminate();
        },
        Math.min(deadAfterMs, 15_000),
      );
      timer.unref?.();
      ws.on("close", () => clearInterval(timer));
    }
    return ws as unknown as WebSocketLike;
  };
}

/**
 * HTTP upgrade requests on the client listener. Once an `upgrade` listener exists, Node hands it every
 * request that carries `Connection: Upgrade`, for any path, so this one listener decides for all:
 *
 * - the WebSocket sync stream's path, when the stream is on, goes to the stream;
 * - a WebSocket handshake for any other path is refused by destroying the socket (nothing else here
 *   speaks WebSocket, and a socket left alone would hang);
 * - any other upgrade (`h2c` from `curl --http2`, say) is ignored, as HTTP allows: a request without a
 *   body is answered by the app like any request (then the connection closes), so the stream's path
 *   with the stream off answers 404 `M_UNRECOGNIZED` as an unknown endpoint; one with a body is refused.
 */
import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

/** Who takes an upgrade request (the WebSocket sync streams). */
export interface UpgradeTaker {
  owns(req: IncomingMessage): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Attaches the client listener's `upgrade` handler. */
export function handleUpgrades(server: Server, taker: UpgradeTaker | undefined, streamPath: string): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (taker?.owns(req)) {
      taker.handleUpgrade(req, socket, head);
      return;
    }
    const websocket = req.headers.upgrade?.toLowerCase() === "websocket";
    const path = (req.url ?? "").split("?")[0];
    const hasBody =
      req.headers["transfer-encoding"] !== undefined ||
      (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
    if ((websocket && path !== streamPath) || hasBody || head.length > 0) {
      socket.destroy();
      return;
    }
    // Answer as a plain HTTP/1.1 request, then close (the parser is gone: no keep-alive).
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on("finish", () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    server.emit("request", req, res);
  });
}

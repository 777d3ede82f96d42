/**
 * One connection of the WebSocket sync stream (`specs/websocket-sync.md`, `org.hearth.ws`): open,
 * authenticate with the first frame, hand each `sync` frame's `/sync` body on, and report how the
 * stream ended (close code, the `error` frame before it) so the engine can decide what to do next.
 */
import type { SyncResponse } from "@hearth/federation/client";
import { parseJson } from "@hearth/federation/client";
import type { WebSocketFactory, WebSocketLike } from "./web-socket.js";

/** The stream's path on the client listener. */
export const STREAM_PATH = "/_matrix/client/unstable/org.hearth.ws/sync";

/** The `unstable_features` flag of `/versions` that advertises the stream. */
export const STREAM_FEATURE = "org.hearth.ws";

/** The `auth` frame's fields (§2.1). */
export interface StreamAuth {
  readonly access_token: string;
  readonly since?: string;
  readonly filter?: string | Record<string, unknown>;
  readonly set_presence?: "online" | "offline" | "unavailable";
  readonly full_state?: boolean;
}

/** An `error` frame (§2.2). */
export interface StreamErrorFrame {
  readonly errcode: string;
  readonly error: string;
  readonly retry_after_ms?: number;
  readonly soft_logout?: boolean;
}

/** How a stream connection ended. */
export type StreamEnd =
  /** It never opened: the upgrade was refused or the server could not be reached. */
  | { readonly opened: false }
  | {
      readonly opened: true;
      /** Whether at least one `sync` frame arrived. */
      readonly synced: boolean;
      readonly code: number;
      readonly reason: string;
      /** The `error` frame the server sent before closing, if any. */
      readonly error: StreamErrorFrame | undefined;
    };

/** The stream URL for a base URL (`http:` → `ws:`, `https:` → `wss:`). */
export function streamUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/^http/, "ws") + STREAM_PATH;
}

/** Options of {@link runStream}. */
export interface StreamOptions {
  readonly factory: WebSocketFactory;
  readonly url: string;
  readonly auth: StreamAuth;
  /** Called with each `sync` frame's body, in order. */
  readonly onSync: (data: SyncResponse) => void;
  /** Closes the stream (code 1000) when it fires. */
  readonly signal: AbortSignal;
  /** Closes the stream if no `sync` frame follows `auth` within this time (default 30 s). */
  readonly firstFrameTimeoutMs?: number;
}

/** Runs one stream connection until it closes. Never rejects. */
export function runStream(options: StreamOptions): Promise<StreamEnd> {
  return new Promise((resolve) => {
    let ws: WebSocketLike;
    try {
      ws = options.factory(options.url);
    } catch {
      resolve({ opened: false });
      return;
    }
    let opened = false;
    let synced = false;
    let error: StreamErrorFrame | undefined;
    let firstFrameTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => ws.close(1000, "client stopped");
    options.signal.addEventListener("abort", onAbort, { once: true });
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({ type: "auth", ...options.auth }));
      firstFrameTimer = setTimeout(
        () => ws.close(4000, "no sync frame"),
        options.firstFrameTimeoutMs ?? 30_000,
      );
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      let frame: { type?: unknown; data?: unknown } & Partial<StreamErrorFrame>;
      try {
        frame = parseJson(event.data, { maxDepth: 256, loneSurrogates: "allow" }) as typeof frame;
      } catch {
        ws.close(1002, "frame not JSON");
        return;
      }
      if (frame.type === "sync" && frame.data && typeof frame.data === "object") {
        if (!synced) {
          synced = true;
          clearTimeout(firstFrameTimer);
        }
        options.onSync(frame.data as SyncResponse);
      } else if (frame.type === "error") {
        error = {
          errcode: typeof frame.errcode === "string" ? frame.errcode : "M_UNKNOWN",
          error: typeof frame.error === "string" ? frame.error : "",
          ...(typeof frame.retry_after_ms === "number" ? { retry_after_ms: frame.retry_after_ms } : {}),
          ...(typeof frame.soft_logout === "boolean" ? { soft_logout: frame.soft_logout } : {}),
        };
      }
      // Other frame types are from a later version: ignored.
    };
    ws.onerror = () => {
      // A close event follows.
    };
    ws.onclose = (event) => {
      clearTimeout(firstFrameTimer);
      options.signal.removeEventListener("abort", onAbort);
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      resolve(opened ? { opened, synced, code: event.code, reason: event.reason, error } : { opened: false });
    };
  });
}

/**
 * The sync engine: keeps responses coming, over the WebSocket stream when the server offers it
 * (`unstable_features["org.hearth.ws"]` in `/versions`) and the upgrade works, else over `/sync`
 * long-polling; reconnects with exponential backoff and jitter; reports online/offline. Both
 * transports hand the same `/sync` bodies to one callback, and each connection resumes from the
 * latest `next_batch` the client applied, so switching transports loses and repeats nothing.
 */
import { clientApi, MatrixError, type SyncResponse } from "@hearth/federation/client";
import { AbortedError, ConnectionError } from "../errors.js";
import { type HttpApi, sleep } from "../http/http-api.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { runStream, STREAM_FEATURE, type StreamEnd, streamUrl } from "./stream.js";
import type { WebSocketFactory } from "./web-socket.js";

/** How responses are fetched. */
export type SyncTransport = "websocket" | "long-poll";

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  readonly http: HttpApi;
  readonly accessToken: () => string;
  /** The token to resume from (the latest `next_batch` applied), read at each (re)connection. */
  readonly since: () => string | undefined;
  /** Called with every response, in order, whichever transport brought it. */
  readonly onResponse: (response: SyncResponse, transport: SyncTransport) => void;
  /** Called when the server is reached again (`true`) or could not be reached (`false`). */
  readonly onOnline: (online: boolean) => void;
  /** Called when the transport in use changes. */
  readonly onTransport: (transport: SyncTransport) => void;
  /** Called once with an error that stops syncing (a logged-out token, a deactivated account). */
  readonly onFatal: (error: MatrixError) => void;
  /** Called with errors the engine recovers from (for logging). */
  readonly onError?: (error: Error) => void;
  /** Opens WebSockets; without one the engine long-polls. */
  readonly webSocket: WebSocketFactory | undefined;
  /** `auto` (default): the stream when possible; or one transport only. */
  readonly transport?: "auto" | SyncTransport;
  /** `/sync`'s `timeout` (default 30 s). */
  readonly pollTimeoutMs?: number;
  /** A filter ID, or an inline filter. */
  readonly filter?: string | Record<string, unknown>;
  readonly setPresence?: "online" | "offline" | "unavailable";
  readonly backoff?: BackoffOptions;
  /** After falling back to long-polling, try the stream again after this long (default 5 min). */
  readonly streamRetryMs?: number;
  /** Upgrade failures in a row, with the server up and advertising the stream, before falling back (default 3). */
  readonly maxUpgradeFailures?: number;
}

type Next =
  | { readonly kind: "again" }
  | { readonly kind: "wait"; readonly ms?: number }
  | { readonly kind: "use"; readonly transport: SyncTransport }
  | { readonly kind: "stop" };

/** Runs the sync loop. */
export class SyncEngine {
  #transport: SyncTransport | undefined;
  #online: boolean | undefined;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  readonly #backoff: Backoff;
  /** Until when to long-poll after falling back from the stream (ms since the epoch). */
  #longPollUntil = 0;
  #upgradeFailures = 0;

  constructor(private readonly options: SyncEngineOptions) {
    this.#backoff = new Backoff(options.backoff);
  }

  /** The transport in use (`undefined` before the first connection). */
  get transport(): SyncTransport | undefined {
    return this.#transport;
  }

  /** Whether the last attempt reached the server. */
  get online(): boolean | undefined {
    return this.#online;
  }

  /** Whether the loop runs. */
  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Starts the loop (no-op when running). */
  start(): void {
    if (this.#controller) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#loop = this.#run(controller.signal).finally(() => {
      if (this.#controller === controller) this.#controller = undefined;
    });
  }

  /** Stops the loop: closes the stream or aborts the poll, and waits for it to end. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    this.#controller = undefined;
    await this.#loop;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const forced = this.options.transport ?? "auto";
    let transport: SyncTransport =
      forced === "long-poll" || !this.options.webSocket
        ? "long-poll"
        : forced === "websocket"
          ? "websocket"
          : await this.#choose(signal);
    while (!signal.aborted) {
      if (transport !== this.#transport) {
        this.#transport = transport;
        this.options.onTransport(transport);
      }
      let next: Next;
      try {
        next = transport === "websocket" ? await this.#stream(signal) : await this.#longPoll(signal);
      } catch (e) {
        if (e instanceof AbortedError || signal.aborted) return;
        this.options.onError?.(e as Error);
        next = { kind: "wait" };
      }
      if (signal.aborted || next.kind === "stop") return;
      try {
        if (next.kind === "use") transport = next.transport;
        else if (next.kind === "wait") await sleep(next.ms ?? this.#backoff.next(), signal);
      } catch {
        return;
      }
    }
  }

  /** The transport to start with: the stream if `/versions` advertises it (or cannot be read). */
  async #choose(signal: AbortSignal): Promise<SyncTransport> {
    const probe = await this.#probe(signal);
    return probe === "no-stream" ? "long-poll" : "websocket";
  }

  /** Asks `/versions` whether the server offers the stream. */
  async #probe(signal: AbortSignal): Promise<"stream" | "no-stream" | "unreachable"> {
    try {
      const v = await this.options.http.call(clientApi.getVersions, { signal, timeoutMs: 10_000 });
      return v.unstable_features?.[STREAM_FEATURE] === true ? "stream" : "no-stream";
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      return "unreachable";
    }
  }

  #setOnline(online: boolean): void {
    if (this.#online === online) return;
    this.#online = online;
    this.options.onOnline(online);
  }

  #deliver(response: SyncResponse, transport: SyncTransport): void {
    this.#backoff.reset();
    this.#setOnline(true);
    try {
      this.options.onResponse(response, transport);
    } catch (e) {
      this.options.onError?.(e as Error);
    }
  }

  /** One stream connection, and what to do after it. */
  async #stream(signal: AbortSignal): Promise<Next> {
    const since = this.options.since();
    const end: StreamEnd = await runStream({
      factory: this.options.webSocket!,
      url: streamUrl(this.options.http.baseUrl),
      auth: {
        access_token: this.options.accessToken(),
        ...(since !== undefined ? { since } : {}),
        ...(this.options.filter !== undefined ? { filter: this.options.filter } : {}),
        ...(this.options.setPresence ? { set_presence: this.options.setPresence } : {}),
      },
      onSync: (data) => this.#deliver(data, "websocket"),
      signal,
    });
    if (signal.aborted) return { kind: "stop" };
    if (!end.opened) {
      // The upgrade failed: the server is down, or does not (or no longer) offer the stream, or
      // something between refuses WebSockets.
      const probe = await this.#probe(signal);
      if (probe === "unreachable") {
        this.#setOnline(false);
        return { kind: "wait" };
      }
      if (probe === "no-stream") return this.#fallBack();
      if (++this.#upgradeFailures >= (this.options.maxUpgradeFailures ?? 3)) return this.#fallBack();
      return { kind: "wait" };
    }
    this.#upgradeFailures = 0;
    const error = end.error;
    switch (end.code) {
      case 4000: // resume: nothing lost, reconnect at once
        return { kind: "again" };
      case 4401:
      case 4403:
        this.options.onFatal(
          new MatrixError(
            error?.errcode ?? (end.code === 4401 ? "M_UNKNOWN_TOKEN" : "M_FORBIDDEN"),
            error?.error || end.reason || "the server closed the sync stream",
            error?.soft_logout !== undefined ? { soft_logout: error.soft_logout } : {},
          ),
        );
        return { kind: "stop" };
      case 4429:
        return { kind: "wait", ms: error?.retry_after_ms ?? this.#backoff.next() };
      case 4400:
        // The server refused our auth frame: a bug on one side. /sync may still work.
        this.options.onError?.(
          new MatrixError(
            error?.errcode ?? "M_BAD_JSON",
            error?.error || "the stream refused the auth frame",
          ),
        );
        return this.#fallBack();
      default:
        // 1000/1001 (server shutting down), 1006 (connection lost), 4001, 4500: reconnect with backoff.
        if (!end.synced) this.#setOnline(false);
        return { kind: "wait" };
    }
  }

  #fallBack(): Next {
    if ((this.options.transport ?? "auto") === "websocket") return { kind: "wait" };
    this.#upgradeFailures = 0;
    this.#longPollUntil = Date.now() + (this.options.streamRetryMs ?? 300_000);
    return { kind: "use", transport: "long-poll" };
  }

  /** Long-polls `/sync` until an error, or until it is time to try the stream again. */
  async #longPoll(signal: AbortSignal): Promise<Next> {
    const pollTimeout = this.options.pollTimeoutMs ?? 30_000;
    const filter = this.options.filter;
    let first = true;
    while (!signal.aborted) {
      if (
        this.options.webSocket &&
        (this.options.transport ?? "auto") === "auto" &&
        Date.now() >= this.#longPollUntil
      ) {
        const probe = await this.#probe(signal);
        if (probe === "stream") return { kind: "use", transport: "websocket" };
        this.#longPollUntil = Date.now() + (this.options.streamRetryMs ?? 300_000);
      }
      const since = this.options.since();
      // The first request answers at once, so a (re)start is not held up by an idle account.
      const timeout = first || since === undefined ? 0 : pollTimeout;
      first = false;
      try {
        const response = await this.options.http.call(clientApi.sync, {
          query: {
            ...(since !== undefined ? { since } : {}),
            timeout,
            ...(filter !== undefined
              ? { filter: typeof filter === "string" ? filter : JSON.stringify(filter) }
              : {}),
            ...(this.options.setPresence ? { set_presence: this.options.setPresence } : {}),
          },
          signal,
          timeoutMs: timeout + 30_000,
        });
        this.#deliver(response, "long-poll");
      } catch (e) {
        if (e instanceof AbortedError) return { kind: "stop" };
        if (e instanceof ConnectionError) {
          this.#setOnline(false);
          return { kind: "wait" };
        }
        if (e instanceof MatrixError) {
          if (
            ["M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN", "M_USER_DEACTIVATED"].includes(e.errcode)
          ) {
            this.options.onFatal(e);
            return { kind: "stop" };
          }
          this.options.onError?.(e);
          if (e.errcode === "M_LIMIT_EXCEEDED" && typeof e.extra.retry_after_ms === "number")
            return { kind: "wait", ms: e.extra.retry_after_ms };
          return { kind: "wait" };
        }
        throw e;
      }
    }
    return { kind: "stop" };
  }
}

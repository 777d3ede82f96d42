/**
 * The WebSocket sync stream (`org.hearth.ws`, `specs/websocket-sync.md`): `/sync` responses pushed over
 * one WebSocket as soon as anything for the user changes, with the same tokens as `/sync`.
 *
 * Each frame is built by the same {@link SyncService} as `GET /sync`, with the same parameters (parsed
 * by {@link resolveSyncParams}), so frames and long-poll responses are identical and their tokens
 * interchangeable: the first sync answers at once, and each later one runs from the previous
 * `next_batch` when the notifier reports a change for the user or one of their rooms; a response with
 * nothing in it is not sent.
 *
 * Memory: an idle stream holds no pending sync. The streams subscribe to the notifier once and index
 * themselves by user and by joined room, so an idle stream is its socket, its `ws` objects, a small
 * {@link Stream} record and its entries in the two indexes. One ping timer serves every stream; the
 * only per-stream timers are the auth deadline (until the first frame) and the drain deadline (while
 * a frame is in the send buffer). Nothing of a sent response is kept.
 *
 * Flow control: a stream runs one sync at a time and the next only once the previous frame has left
 * the process (its write completed), so a reader that stops reading holds at most one frame here; its
 * changes wait in storage. A frame stuck for `drainTimeoutMs` closes the stream with 4000 (resume).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { MAX_CLIENT_JSON_DEPTH, MatrixError, parseJson } from "@hearth/federation";
import type { Logger } from "pino";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { TokenAuthenticator } from "../../http/app.js";
import type { Requester } from "../../http/route.js";
import { isJsonObject } from "../../http/validate.js";
import type { Notifier, StreamUpdate } from "../notifier.js";
import type { FilterService } from "./filter-service.js";
import {
  resolveSyncParams,
  type SyncParams,
  type SyncParamsInput,
  type SyncPresence,
} from "./sync-params.js";
import { isEmptySyncResponse, type SyncService } from "./sync-service.js";
import { type SyncToken, tryParseSyncToken } from "./tokens.js";

/** The stream's path on the client listener. */
export const WS_SYNC_PATH = "/_matrix/client/unstable/org.hearth.ws/sync";

/** The close codes of the stream (`specs/websocket-sync.md` §3). */
export const WsCloseCode = {
  /** The client closed, or the server shuts down. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Resume from the last `next_batch` (the client did not keep up). */
  resume: 4000,
  /** No `auth` frame in time. */
  authTimeout: 4001,
  badRequest: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  rateLimited: 4429,
  serverError: 4500,
} as const;

/** Timings and limits of the stream; the defaults are the spec's (tests shorten them). */
export interface WsSyncOptions {
  /** How long a new stream has to send its `auth` frame (10 s). */
  readonly authTimeoutMs?: number;
  /** How often every stream is pinged; one unanswered ping drops it (30 s). */
  readonly pingIntervalMs?: number;
  /** How long a frame may stay in the send buffer before the stream is closed with 4000 (60 s). */
  readonly drainTimeoutMs?: number;
  /** Largest frame a client may send (64 KiB); a larger one closes the stream with 1009. */
  readonly maxFrameBytes?: number;
  /** How long shutdown waits for clients to answer the close (2 s) before it cuts them off. */
  readonly shutdownGraceMs?: number;
}

/** What the stream needs. */
export interface WsSyncDeps {
  readonly auth: TokenAuthenticator;
  readonly sync: Pick<SyncService, "syncNow" | "advancedSince">;
  readonly notifier: Pick<Notifier, "subscribe">;
  readonly filters: Pick<FilterService, "resolve">;
  /** Applies `set_presence`, before each sync as `/sync` does. */
  readonly setPresence?: (userId: string, state: SyncPresence) => Promise<void>;
  readonly logger: Logger;
  readonly options?: WsSyncOptions;
}

/** Counters, for tests and metrics. */
export interface WsSyncStats {
  /** Open streams (authenticated or not). */
  readonly streams: number;
  /** Streams with a frame still in the send buffer. */
  readonly draining: number;
  /** Bytes held in the streams' send buffers. */
  readonly bufferedBytes: number;
}

/** The streams of the users joined to a room (an entry of the room index). */
interface RoomEntry {
  readonly roomId: string;
  readonly streams: Set<Stream>;
}

/** One connection. Kept small: 10 000 idle ones must fit in 200 MB. */
class Stream {
  userId: string | undefined = undefined;
  deviceId: string | undefined = undefined;
  /** The `auth` frame's parameters, once authenticated. */
  params: SyncParams | undefined = undefined;
  /** Where the next sync starts: the last frame's (or empty sync's) `next_batch`. */
  since: SyncToken | undefined = undefined;
  /** To-device messages up to here are acknowledged: the `since` the client presented. */
  acknowledged = 0;
  /** The rooms this stream is indexed under (the user's joined rooms as of `since`). */
  rooms: RoomEntry[] = [];
  /** The first frame arrived (auth is running or done). */
  started = false;
  /** No frame was sent yet (the first is sent even when empty). */
  first = true;
  /** A sync (and its frame) is running. */
  running = false;
  /** Something changed while a sync ran: run again after it. */
  dirty = false;
  /** The peer answered the last ping (or showed it reads). */
  alive = true;
  /** A frame is in the send buffer. */
  draining = false;
  closed = false;
  authTimer: NodeJS.Timeout | undefined = undefined;
  constructor(readonly ws: WebSocket) {}
}

/** The stream a WebSocket belongs to (one shared set of listeners serves every socket). */
const STREAM = Symbol("hearth.wsSyncStream");
type StreamSocket = WebSocket & { [STREAM]?: Stream };

/** The close code for an error: from its HTTP status (400, 401, 403, 429), else 4500. */
export function closeCodeFor(error: MatrixError): number {
  switch (error.status) {
    case 400:
      return WsCloseCode.badRequest;
    case 401:
      return WsCloseCode.unauthorized;
    case 403:
      return WsCloseCode.forbidden;
    case 429:
      return WsCloseCode.rateLimited;
    default:
      return WsCloseCode.serverError;
  }
}

/** The WebSocket sync streams of one server. */
export class WsSyncStreams {
  readonly #deps: WsSyncDeps;
  readonly #wss: WebSocketServer;
  readonly #streams = new Set<Stream>();
  /** Authenticated streams by user. */
  readonly #byUser = new Map<string, Stream[]>();
  /** Authenticated streams by joined room. */
  readonly #byRoom = new Map<string, RoomEntry>();
  readonly #authTimeoutMs: number;
  readonly #drainTimeoutMs: number;
  readonly #shutdownGraceMs: number;
  readonly #pinger: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  /** Bumped by every revocation: an authentication that raced one is checked again. */
  #revocations = 0;
  #closing = false;
  // The listeners every socket shares (`this` is the socket).
  readonly #onMessage: (this: StreamSocket, data: RawData) => void;
  readonly #onClose: (this: StreamSocket) => void;

  constructor(deps: WsSyncDeps) {
    this.#deps = deps;
    const o = deps.options ?? {};
    this.#authTimeoutMs = o.authTimeoutMs ?? 10_000;
    this.#drainTimeoutMs = o.drainTimeoutMs ?? 60_000;
    this.#shutdownGraceMs = o.shutdownGraceMs ?? 2_000;
    this.#wss = new WebSocketServer({
      noServer: true,
      // The streams are tracked here; ws's own set would be a second one.
      clientTracking: false,
      // Compression costs a zlib context per socket (hundreds of KB).
      perMessageDeflate: false,
      maxPayload: o.maxFrameBytes ?? 64 * 1024,
    });
    const streams = this;
    this.#onMessage = function (data) {
      const s = this[STREAM];
      if (s) streams.#message(s, data);
    };
    this.#onClose = function () {
      const s = this[STREAM];
      if (s) streams.#closed(s);
    };
    this.#pinger = setInterval(() => this.#ping(), o.pingIntervalMs ?? 30_000);
    this.#pinger.unref();
    this.#unsubscribe = deps.notifier.subscribe((update) => this.#onUpdate(update));
  }

  /** Whether an upgrade request is for the stream (its path, any query string). */
  owns(req: IncomingMessage): boolean {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    return (q === -1 ? url : url.slice(0, q)) === WS_SYNC_PATH;
  }

  /**
   * Takes an upgrade request for {@link WS_SYNC_PATH} (check {@link owns} first). Requests that are not
   * a valid WebSocket handshake are answered by `ws` (400, 405, 426); while shutting down the socket is
   * destroyed.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws));
  }

  /** Closes the streams of these devices (their tokens were revoked): `M_UNKNOWN_TOKEN`, 4401. */
  revoke(userId: string, deviceIds: readonly string[]): void {
    this.#revocations++;
    for (const s of [...(this.#byUser.get(userId) ?? [])]) {
      if (s.deviceId !== undefined && deviceIds.includes(s.deviceId)) {
        this.#fail(
          s,
          new MatrixError("M_UNKNOWN_TOKEN", "The access token was revoked", { soft_logout: false }),
        );
      }
    }
  }

  /** Open streams, frames in flight and buffered bytes. */
  stats(): WsSyncStats {
    let draining = 0;
    let bufferedBytes = 0;
    for (const s of this.#streams) {
      if (s.draining) draining++;
      bufferedBytes += s.ws.bufferedAmount;
    }
    return { streams: this.#streams.size, draining, bufferedBytes };
  }

  /**
   * Shutdown: refuses new streams and closes every open one with 1001; resolves once they are closed
   * (clients that do not answer the close within the grace period are cut off).
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#pinger);
    this.#unsubscribe();
    const open = [...this.#streams];
    const closed = open.map((s) => new Promise<void>((resolve) => s.ws.once("close", () => resolve())));
    for (const s of open) this.#close(s, WsCloseCode.goingAway, "Server shutting down");
    const grace = setTimeout(() => {
      for (const s of open) s.ws.terminate();
    }, this.#shutdownGraceMs);
    await Promise.all(closed);
    clearTimeout(grace);
    this.#wss.close();
  }

  #open(ws: StreamSocket): void {
    const s = new Stream(ws);
    ws[STREAM] = s;
    this.#streams.add(s);
    s.authTimer = setTimeout(
      () =>
        this.#fail(
          s,
          new MatrixError("M_MISSING_TOKEN", `No auth frame within ${this.#authTimeoutMs} ms`),
          WsCloseCode.authTimeout,
        ),
      this.#authTimeoutMs,
    );
    ws.on("message", this.#onMessage);
    ws.on("pong", onPong);
    ws.on("close", this.#onClose);
    // A socket error closes the WebSocket; 'close' follows.
    ws.on("error", ignore);
  }

  #message(s: Stream, data: RawData): void {
    if (s.closed) return;
    if (s.started) {
      // Clients send nothing after `auth`; anything that is not even JSON ends the stream.
      try {
        parseJson(asBytes(data), { maxDepth: MAX_CLIENT_JSON_DEPTH });
      } catch (e) {
        this.#fail(s, e);
      }
      return;
    }
    s.started = true;
    clearTimeout(s.authTimer);
    s.authTimer = undefined;
    this.#start(s, data).catch((e: unknown) => this.#fail(s, e));
  }

  /** Reads the `auth` frame, authenticates, and sends the first frame. */
  async #start(s: Stream, data: RawData): Promise<void> {
    const frame = parseJson(asBytes(data), { maxDepth: MAX_CLIENT_JSON_DEPTH });
    if (!isJsonObject(frame) || frame.type !== "auth") {
      throw new MatrixError("M_BAD_JSON", 'The first frame must be {"type":"auth","access_token":…}');
    }
    const token = frame.access_token;
    if (token === undefined || token === null || token === "") {
      throw new MatrixError("M_MISSING_TOKEN", "Missing access_token");
    }
    if (typeof token !== "string") throw new MatrixError("M_BAD_JSON", "'access_token' must be a string");
    const requester = await this.#authenticate(token);
    if (s.closed) return;
    s.userId = requester.userId;
    s.deviceId = requester.deviceId;
    // Indexed by user from now on: a revocation or an update for the user finds the stream.
    const list = this.#byUser.get(requester.userId);
    if (list) list.push(s);
    else this.#byUser.set(requester.userId, [s]);
    const params = await resolveSyncParams(requester.userId, authParams(frame), this.#deps.filters);
    if (s.closed) return;
    s.params = params;
    s.since = params.since;
    // To-device messages are deleted only up to a token the client presented, never up to a frame
    // that may not have reached it.
    s.acknowledged = params.since?.toDevice ?? 0;
    this.#wake(s);
  }

  /** Authenticates, again if a revocation happened meanwhile (it may have missed this stream). */
  async #authenticate(token: string): Promise<Requester> {
    for (;;) {
      const seen = this.#revocations;
      const requester = await this.#deps.auth.authenticate(token);
      if (seen === this.#revocations) return requester;
    }
  }

  /** Wakes the streams an update concerns. */
  #onUpdate(update: StreamUpdate): void {
    if (update.users) {
      for (const userId of update.users) {
        const list = this.#byUser.get(userId);
        if (list) for (const s of list) this.#wake(s);
      }
    }
    if (update.rooms) {
      for (const roomId of update.rooms) {
        const entry = this.#byRoom.get(roomId);
        if (entry) for (const s of entry.streams) this.#wake(s);
      }
    }
  }

  /** Runs a sync for the stream now, or after the one running (and its frame) is done. */
  #wake(s: Stream): void {
    if (s.closed || !s.params) return;
    if (s.running) {
      s.dirty = true;
      return;
    }
    s.running = true;
    this.#run(s)
      .catch((e: unknown) => this.#fail(s, e))
      .finally(() => {
        s.running = false;
      });
  }

  async #run(s: Stream): Promise<void> {
    do {
      s.dirty = false;
      await this.#step(s);
    } while (s.dirty && !s.closed);
  }

  /**
   * One sync from `s.since` and, unless it is empty (after the first), its frame, written out before
   * this returns. Everything of the response dies with this call.
   */
  async #step(s: Stream): Promise<void> {
    const params = s.params!;
    const userId = s.userId!;
    await this.#deps.setPresence?.(userId, params.presence);
    if (s.closed) return;
    const since = s.since;
    const { response, joined } = await this.#deps.sync.syncNow({
      userId,
      deviceId: s.deviceId!,
      ...(since ? { since } : {}),
      filter: params.filter,
      fullState: s.first && params.fullState,
      useStateAfter: params.useStateAfter,
      toDeviceAcknowledged: s.acknowledged,
    });
    if (s.closed) return;
    const next = tryParseSyncToken(response.next_batch) ?? since;
    s.since = next;
    // An update for a room the index did not list yet may have come after the sync read and before
    // now: look again if anything moved (same tick as the index change, so nothing slips through).
    if (this.#setRooms(s, joined) && next && this.#deps.sync.advancedSince(next)) s.dirty = true;
    if (s.first || !isEmptySyncResponse(response)) {
      s.first = false;
      await this.#send(s, `{"type":"sync","data":${JSON.stringify(response)}}`);
    }
  }

  /** Indexes the stream under exactly `joined`; true when a room was added. */
  #setRooms(s: Stream, joined: ReadonlySet<string>): boolean {
    if (s.rooms.length === joined.size && s.rooms.every((e) => joined.has(e.roomId))) return false;
    const kept: RoomEntry[] = [];
    const have = new Set<string>();
    for (const e of s.rooms) {
      if (joined.has(e.roomId)) {
        kept.push(e);
        have.add(e.roomId);
      } else this.#unindexRoom(s, e);
    }
    let added = false;
    for (const roomId of joined) {
      if (have.has(roomId)) continue;
      let entry = this.#byRoom.get(roomId);
      if (!entry) {
        entry = { roomId, streams: new Set() };
        this.#byRoom.set(roomId, entry);
      }
      entry.streams.add(s);
      kept.push(entry);
      added = true;
    }
    s.rooms = kept;
    return added;
  }

  #unindexRoom(s: Stream, e: RoomEntry): void {
    e.streams.delete(s);
    if (e.streams.size === 0) this.#byRoom.delete(e.roomId);
  }

  /** Sends a frame and resolves once it has left the send buffer (or the stream closed). */
  #send(s: Stream, text: string): Promise<void> {
    return new Promise((resolve) => {
      s.draining = true;
      const timer = setTimeout(
        () => this.#close(s, WsCloseCode.resume, "Send buffer full: resume from your last next_batch"),
        this.#drainTimeoutMs,
      );
      s.ws.send(text, () => {
        clearTimeout(timer);
        s.draining = false;
        // The peer took the frame: it reads.
        s.alive = true;
        resolve();
      });
    });
  }

  /** Sends an `error` frame for `error` and closes with its code (or `code`). */
  #fail(s: Stream, error: unknown, code?: number): void {
    if (s.closed) return;
    let e: MatrixError;
    if (error instanceof MatrixError) e = error;
    else {
      this.#deps.logger.error({ err: error, userId: s.userId }, "WebSocket sync stream failed");
      e = new MatrixError("M_UNKNOWN", "Internal server error");
    }
    if (s.ws.readyState === s.ws.OPEN) {
      s.ws.send(JSON.stringify({ type: "error", errcode: e.errcode, error: e.message, ...e.extra }));
    }
    this.#close(s, code ?? closeCodeFor(e), e.errcode);
  }

  #close(s: Stream, code: number, reason: string): void {
    if (s.closed) return;
    this.#forget(s);
    s.ws.close(code, reason);
  }

  #closed(s: Stream): void {
    this.#forget(s);
    this.#streams.delete(s);
  }

  /** Marks the stream closed and takes it out of the indexes (its socket may still be closing). */
  #forget(s: Stream): void {
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.authTimer);
    for (const e of s.rooms) this.#unindexRoom(s, e);
    s.rooms = [];
    if (s.userId !== undefined) {
      const list = this.#byUser.get(s.userId);
      const i = list?.indexOf(s) ?? -1;
      if (list && i >= 0) {
        list.splice(i, 1);
        if (list.length === 0) this.#byUser.delete(s.userId);
      }
    }
  }

  /** The heartbeat: one timer for every stream. A frame stuck in the buffer has its own deadline. */
  #ping(): void {
    for (const s of this.#streams) {
      if (s.closed || s.draining || s.ws.readyState !== s.ws.OPEN) continue;
      if (!s.alive) {
        this.#forget(s);
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }
}

function onPong(this: StreamSocket): void {
  const s = this[STREAM];
  if (s) s.alive = true;
}

function ignore(): void {}

/** The sync parameters of an `auth` frame; wrong types are `M_INVALID_PARAM`. */
function authParams(frame: Record<string, unknown>): SyncParamsInput {
  const str = (name: string): string | undefined => {
    const v = frame[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new MatrixError("M_INVALID_PARAM", `'${name}' must be a string`);
    return v;
  };
  const bool = (name: string): boolean | undefined => {
    const v = frame[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw new MatrixError("M_INVALID_PARAM", `'${name}' must be true or false`);
    return v;
  };
  const filter = frame.filter;
  if (filter !== undefined && filter !== null && typeof filter !== "string" && !isJsonObject(filter)) {
    throw new MatrixError("M_INVALID_PARAM", "'filter' must be a filter ID or a filter object");
  }
  return {
    since: str("since"),
    filter: filter ?? undefined,
    setPresence: str("set_presence"),
    fullState: bool("full_state"),
    useStateAfter: bool("use_state_after"),
  };
}

/** A received frame's bytes. */
function asBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

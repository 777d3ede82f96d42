/**
 * The client: a session (login, registration, logout), the sync engine feeding the models through
 * the sans-I/O accumulator, persistence in a pluggable store, and the actions (rooms, messages with
 * local echo, relations, receipts, typing, media). Events are emitted as the models change.
 */
import {
  type BasicEvent,
  type BodyOf,
  type ClientEvent,
  clientApi,
  type LoginResponse,
  MatrixError,
  type ResponseOf,
  type SyncResponse,
} from "@hearth/federation/client";
import { Emitter } from "./emitter.js";
import { AbortedError } from "./errors.js";
import {
  type Download,
  type FetchLike,
  HttpApi,
  type ProgressCallback,
  type RateLimitPolicy,
} from "./http/http-api.js";
import type { Membership, Receipt, Room } from "./models/room.js";
import { TimelineEvent } from "./models/timeline.js";
import type { UserPresence } from "./models/user.js";
import { type ClientStore, MemoryStore } from "./store/store.js";
import { type AccumulatorSnapshot, SyncAccumulator, type SyncChange } from "./sync/accumulator.js";
import type { BackoffOptions } from "./sync/backoff.js";
import { SyncEngine, type SyncTransport } from "./sync/engine.js";
import { globalWebSocketFactory, type WebSocketFactory } from "./sync/web-socket.js";

/** `POST /createRoom`'s body. */
type CreateRoomRequest = BodyOf<typeof clientApi.createRoom>;

/** The store keys the client uses. */
const SESSION_KEY = "session";
const SYNC_KEY = "sync";

/** A logged-in session. */
export interface Session {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The homeserver's base URL, e.g. `http://127.0.0.1:8008`. */
  readonly baseUrl: string;
  /** Where the session and sync state persist (default: in memory). */
  readonly store?: ClientStore;
  /** A session to use instead of logging in (or of the one in the store). */
  readonly session?: Session;
  /** `fetch` (default: the global one). */
  readonly fetch?: FetchLike;
  /**
   * Opens WebSockets for the sync stream (default: the global `WebSocket` when there is one; in
   * Node 20 use `@hearth/client-sdk/node`). `null`: never use the stream.
   */
  readonly webSocket?: WebSocketFactory | null;
  /** `auto` (default): the stream when the server offers it, else long-polling. */
  readonly syncTransport?: "auto" | SyncTransport;
  /** `/sync` long-poll timeout (default 30 s). */
  readonly pollTimeoutMs?: number;
  /** Reconnection backoff (default 0.5 s doubling up to 30 s, with jitter). */
  readonly reconnect?: BackoffOptions;
  /** Retrying `M_LIMIT_EXCEEDED` (default: up to 5 retries, waits up to 60 s). */
  readonly rateLimit?: RateLimitPolicy;
  /** Request timeout (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** A sync filter (ID or inline). */
  readonly filter?: string | Record<string, unknown>;
  /** Presence while syncing (default `online`). */
  readonly setPresence?: "online" | "offline" | "unavailable";
  /** How often, at most, the sync state is written to the store (default 1 s; `stop()` flushes). */
  readonly persistIntervalMs?: number;
  /** Device name given at login and registration. */
  readonly deviceDisplayName?: string;
}

/** The events a {@link MatrixClient} emits. */
export type ClientEvents = {
  /** A new event in a room's timeline, from a sync (each server event once; local echoes are `localEcho`). */
  timeline: (event: ClientEvent, roomId: string, item: TimelineEvent) => void;
  /** A local echo changed: added (`pending`), acknowledged (`sent`), `failed`, or its server copy arrived. */
  localEcho: (item: TimelineEvent, roomId: string) => void;
  /** An event already in a timeline was redacted, edited or reacted to. */
  eventUpdated: (item: TimelineEvent, roomId: string) => void;
  /** Something about a room changed (state, timeline, counts, membership, …). */
  room: (room: Room) => void;
  /** This user's membership of a room changed. */
  membership: (room: Room, membership: Membership, previous: Membership | undefined) => void;
  /** This user was invited to a room. */
  invite: (room: Room) => void;
  typing: (roomId: string, userIds: readonly string[]) => void;
  receipt: (roomId: string, userId: string, receipt: Receipt) => void;
  presence: (presence: UserPresence) => void;
  /** Account data changed (room account data when `roomId` is set). */
  accountData: (type: string, content: Record<string, unknown>, roomId: string | undefined) => void;
  toDevice: (event: BasicEvent) => void;
  /** A sync response was applied. */
  sync: (response: SyncResponse, transport: SyncTransport) => void;
  /** The server is reachable again. */
  online: () => void;
  /** The server cannot be reached; the client keeps retrying. */
  offline: () => void;
  /** The sync transport changed. */
  transport: (transport: SyncTransport) => void;
  /** The session ended on the server (logged out elsewhere, device deleted, account deactivated). */
  loggedOut: (error: MatrixError) => void;
  /** An error the client recovered from (for logging). */
  error: (error: Error) => void;
};

/** What {@link MatrixClient.register} and {@link MatrixClient.login} take. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Reuse a device ID (login), or choose one (registration). */
  readonly deviceId?: string;
}

/** Options of a send. */
export interface SendOptions {
  /** The transaction ID (default: a new unique one). */
  readonly txnId?: string;
}

/** A new unique transaction ID. */
function newTxnId(counter: number): string {
  const bytes = new Uint8Array(6);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  const rand = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `h${Date.now().toString(36)}.${rand}.${counter}`;
}

/** Parses `mxc://server/mediaId`. */
export function parseMxc(uri: string): { serverName: string; mediaId: string } {
  const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(uri);
  if (!m) throw new MatrixError("M_INVALID_PARAM", `not an mxc:// URI: ${uri}`);
  return { serverName: m[1]!, mediaId: m[2]! };
}

/**
 * A Matrix client for one account on a Hearth (or any Matrix) homeserver.
 *
 * ```ts
 * const client = createClient({ baseUrl: "http://127.0.0.1:8008" });
 * await client.login({ username: "alice", password: "…" });
 * client.on("timeline", (event, roomId) => console.log(roomId, event.content.body));
 * await client.start();
 * ```
 */
export class MatrixClient extends Emitter<ClientEvents> {
  /** The Client-Server API calls, typed by the endpoint descriptors. */
  readonly http: HttpApi;
  readonly store: ClientStore;
  #session: Session | undefined;
  #acc: SyncAccumulator | undefined;
  #engine: SyncEngine | undefined;
  #firstSync: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #persistTimer: ReturnType<typeof setTimeout> | undefined;
  #persisting: Promise<void> = Promise.resolve();
  #txnCounter = 0;
  readonly #sendQueues = new Map<string, Promise<unknown>>();
  readonly #paginating = new Map<string, Promise<{ added: number; more: boolean }>>();
  readonly #waiters = new Set<() => void>();
  readonly #webSocket: WebSocketFactory | undefined;

  constructor(readonly options: ClientOptions) {
    super();
    this.store = options.store ?? new MemoryStore();
    this.#session = options.session;
    this.#webSocket =
      options.webSocket === null ? undefined : (options.webSocket ?? globalWebSocketFactory());
    this.http = new HttpApi({
      baseUrl: options.baseUrl,
      accessToken: () => this.#session?.accessToken,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
  }

  // ---- Session ------------------------------------------------------------------------------------

  /** The logged-in user, once logged in. */
  get userId(): string | undefined {
    return this.#session?.userId;
  }
  get deviceId(): string | undefined {
    return this.#session?.deviceId;
  }
  get accessToken(): string | undefined {
    return this.#session?.accessToken;
  }
  /** The session, once logged in (or restored from the store by {@link start}). */
  get session(): Session | undefined {
    return this.#session;
  }

  /** Logs in with a password (`m.login.password`) and saves the session in the store. */
  async login(credentials: Credentials): Promise<Session> {
    const res = await this.http.call(clientApi.login, {
      body: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: credentials.username },
        password: credentials.password,
        ...(credentials.deviceId ? { device_id: credentials.deviceId } : {}),
        ...(this.options.deviceDisplayName
          ? { initial_device_display_name: this.options.deviceDisplayName }
          : {}),
      },
    });
    return this.#newSession(res);
  }

  /**
   * Registers an account and logs in, completing user-interactive authentication with
   * `m.login.dummy` (open registration) or `m.login.registration_token` (when `registrationToken`
   * is given).
   */
  async register(credentials: Credentials & { readonly registrationToken?: string }): Promise<Session> {
    const body: Record<string, unknown> = {
      username: credentials.username,
      password: credentials.password,
      ...(credentials.deviceId ? { device_id: credentials.deviceId } : {}),
      ...(this.options.deviceDisplayName
        ? { initial_device_display_name: this.options.deviceDisplayName }
        : {}),
    };
    for (let round = 0; ; round++) {
      try {
        return this.#newSession(await this.http.call(clientApi.register, { body }));
      } catch (e) {
        if (!(e instanceof MatrixError) || e.status !== 401 || round >= 3) throw e;
        const { session, flows, completed } = e.extra as {
          session?: string;
          flows?: Array<{ stages?: string[] }>;
          completed?: string[];
        };
        const done = new Set(completed ?? []);
        const stage = (flows ?? [])
          .map((f) => (f.stages ?? []).find((s) => !done.has(s)))
          .find((s) =>
            s === "m.login.dummy"
              ? true
              : s === "m.login.registration_token" && !!credentials.registrationToken,
          );
        if (!stage) throw e;
        body.auth = {
          type: stage,
          ...(session ? { session } : {}),
          ...(stage === "m.login.registration_token" ? { token: credentials.registrationToken } : {}),
        };
      }
    }
  }

  async #newSession(res: LoginResponse): Promise<Session> {
    if (this.#engine?.running) throw new Error("stop the client before logging in again");
    const session: Session = { userId: res.user_id, deviceId: res.device_id, accessToken: res.access_token };
    this.#session = session;
    this.#acc = undefined;
    await this.store.set(SESSION_KEY, session);
    // A new device starts from an initial sync.
    await this.store.delete(SYNC_KEY);
    return session;
  }

  /**
   * Takes the session saved in the store (by an earlier login in this store) without syncing, e.g. to
   * decide at page load whether to show a sign-in form. `undefined` when the store has none.
   */
  async restoreSession(): Promise<Session | undefined> {
    this.#session ??= await this.store.get<Session>(SESSION_KEY);
    return this.#session;
  }

  /**
   * Logs out: stops syncing, invalidates the access token on the server and clears the store. An
   * already invalid token is not an error.
   */
  async logout(): Promise<void> {
    await this.stop();
    try {
      if (this.#session) await this.http.call(clientApi.logout, { body: {} });
    } catch (e) {
      if (!(e instanceof MatrixError) || (e.errcode !== "M_UNKNOWN_TOKEN" && e.errcode !== "M_MISSING_TOKEN"))
        throw e;
    } finally {
      this.#session = undefined;
      this.#acc = undefined;
      await this.store.clear();
    }
  }

  // ---- Sync ---------------------------------------------------------------------------------------

  /**
   * Starts syncing and resolves after the first sync response is applied. Without a session it
   * takes the one in the store; the sync state in the store (models and `next_batch`) is restored, so
   * a restarted client resumes where it stopped.
   */
  async start(): Promise<void> {
    if (this.#engine?.running) return;
    if (!this.#session) this.#session = await this.store.get<Session>(SESSION_KEY);
    const session = this.#session;
    if (!session) throw new Error("not logged in: call login() or register() first, or give a session");
    if (!this.#acc) {
      const saved = await this.store.get<AccumulatorSnapshot>(SYNC_KEY);
      this.#acc =
        saved?.version === 1 && saved.userId === session.userId
          ? SyncAccumulator.restore(saved)
          : new SyncAccumulator(session.userId);
    }
    const first = new Promise<void>((resolve, reject) => {
      this.#firstSync = { resolve, reject };
    });
    this.#engine = new SyncEngine({
      http: this.http,
      accessToken: () => this.#session?.accessToken ?? "",
      since: () => this.#acc?.nextBatch,
      onResponse: (response, transport) => this.#onSync(response, transport),
      onOnline: (online) => this.emit(online ? "online" : "offline"),
      onTransport: (transport) => this.emit("transport", transport),
      onFatal: (error) => {
        this.#firstSync?.reject(error);
        this.#firstSync = undefined;
        this.emit("loggedOut", error);
      },
      onError: (error) => this.emit("error", error),
      webSocket: this.#webSocket,
      ...(this.options.syncTransport ? { transport: this.options.syncTransport } : {}),
      ...(this.options.pollTimeoutMs !== undefined ? { pollTimeoutMs: this.options.pollTimeoutMs } : {}),
      ...(this.options.reconnect ? { backoff: this.options.reconnect } : {}),
      ...(this.options.filter !== undefined ? { filter: this.options.filter } : {}),
      ...(this.options.setPresence ? { setPresence: this.options.setPresence } : {}),
    });
    this.#engine.start();
    await first;
  }

  /** Stops syncing and writes the sync state to the store. Sends in flight go on. */
  async stop(): Promise<void> {
    const engine = this.#engine;
    this.#engine = undefined;
    this.#firstSync?.reject(new AbortedError("the client stopped before the first sync"));
    this.#firstSync = undefined;
    await engine?.stop();
    await this.#flush();
  }

  /** The transport delivering syncs: `websocket` (the stream) or `long-poll` (`/sync`). */
  get syncTransport(): SyncTransport | undefined {
    return this.#engine?.transport;
  }

  /** Whether the server was reachable at the last attempt (`undefined` before the first). */
  get online(): boolean | undefined {
    return this.#engine?.online;
  }

  /** Whether the client is syncing. */
  get syncing(): boolean {
    return this.#engine?.running === true;
  }

  /** The token the next sync starts from. */
  get nextBatch(): string | undefined {
    return this.#acc?.nextBatch;
  }

  #onSync(response: SyncResponse, transport: SyncTransport): void {
    const acc = this.#acc!;
    const changes = acc.apply(response);
    this.#emitChanges(changes);
    this.emit("sync", response, transport);
    this.#schedulePersist();
    for (const w of [...this.#waiters]) w();
    if (this.#firstSync) {
      this.#firstSync.resolve();
      this.#firstSync = undefined;
    }
  }

  #emitChanges(changes: readonly SyncChange[]): void {
    const rooms = new Set<string>();
    for (const c of changes) {
      switch (c.kind) {
        case "timeline":
          if (c.live) this.emit("timeline", c.item.event, c.roomId, c.item);
          break;
        case "localEcho":
          this.emit("localEcho", c.item, c.roomId);
          break;
        case "eventUpdated":
          this.emit("eventUpdated", c.item, c.roomId);
          break;
        case "room":
          rooms.add(c.roomId);
          break;
        case "membership": {
          const room = this.#acc!.rooms.get(c.roomId)!;
          this.emit("membership", room, c.membership, c.previous);
          if (c.membership === "invite") this.emit("invite", room);
          break;
        }
        case "typing":
          this.emit("typing", c.roomId, c.userIds);
          break;
        case "receipt":
          this.emit("receipt", c.roomId, c.userId, c.receipt);
          break;
        case "presence":
          this.emit("presence", c.presence);
          break;
        case "accountData":
          this.emit("accountData", c.type, c.content, c.roomId);
          break;
        case "toDevice":
          this.emit("toDevice", c.event);
          break;
      }
    }
    for (const roomId of rooms) this.emit("room", this.#acc!.rooms.get(roomId)!);
  }

  #schedulePersist(): void {
    if (this.#persistTimer !== undefined) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = undefined;
      void this.#write();
    }, this.options.persistIntervalMs ?? 1000);
  }

  /** Writes the sync state now (one write at a time, in order). */
  #write(): Promise<void> {
    const acc = this.#acc;
    if (!acc) return this.#persisting;
    this.#persisting = this.#persisting
      .then(() => this.store.set(SYNC_KEY, acc.snapshot()))
      .catch((e) => this.emit("error", e as Error));
    return this.#persisting;
  }

  async #flush(): Promise<void> {
    if (this.#persistTimer !== undefined) {
      clearTimeout(this.#persistTimer);
      this.#persistTimer = undefined;
    }
    await this.#write();
  }

  /** Resolves when `check()` holds after a sync (or at once), or after `timeoutMs` (false). */
  waitFor(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(ok);
      };
      const waiter = () => {
        if (check()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  // ---- Models -------------------------------------------------------------------------------------

  /** The room `roomId`, if the client knows it. */
  room(roomId: string): Room | undefined {
    return this.#acc?.rooms.get(roomId);
  }

  /** Every room the client knows, whatever the membership. */
  get rooms(): Room[] {
    return [...(this.#acc?.rooms.values() ?? [])];
  }

  /**
   * The room list: joined rooms and invites, the most recently active first (invites on top).
   */
  roomList(): Room[] {
    return this.rooms
      .filter((r) => r.membership === "join" || r.membership === "invite")
      .sort(
        (a, b) =>
          Number(b.membership === "invite") - Number(a.membership === "invite") ||
          b.lastActivityTs - a.lastActivityTs,
      );
  }

  /** Rooms this user is invited to. */
  get invites(): Room[] {
    return this.rooms.filter((r) => r.membership === "invite");
  }

  /** Global account data of `type`. */
  accountData(type: string): Record<string, unknown> | undefined {
    return this.#acc?.accountData.get(type);
  }

  /** A user's presence, as last heard. */
  presence(userId: string): UserPresence | undefined {
    return this.#acc?.presence.get(userId);
  }

  #room(roomId: string): Room {
    if (!this.#acc) {
      const userId = this.#session?.userId;
      if (!userId) throw new Error("not logged in");
      this.#acc = new SyncAccumulator(userId);
    }
    return this.#acc.room(roomId);
  }

  #me(): string {
    const userId = this.#session?.userId;
    if (!userId) throw new Error("not logged in");
    return userId;
  }

  // ---- Rooms --------------------------------------------------------------------------------------

  /**
   * Creates a room and returns its ID. `invite` users are invited; `isDirect` marks it a direct
   * chat (in the invite and this user's `m.direct`). While syncing, resolves once the room is in
   * the client's models.
   */
  async createRoom(
    options: {
      readonly name?: string;
      readonly topic?: string;
      readonly invite?: readonly string[];
      readonly isDirect?: boolean;
      readonly preset?: CreateRoomRequest["preset"];
      readonly visibility?: "public" | "private";
      readonly alias?: string;
    } & Omit<CreateRoomRequest, "is_direct" | "room_alias_name"> = {},
  ): Promise<string> {
    const { isDirect, alias, ...rest } = options;
    const { room_id } = await this.http.call(clientApi.createRoom, {
      body: {
        ...rest,
        ...(isDirect ? { is_direct: true, preset: options.preset ?? "trusted_private_chat" } : {}),
        ...(alias ? { room_alias_name: alias } : {}),
      },
    });
    this.#room(room_id);
    await this.#waitForMembership(room_id, "join");
    if (isDirect && options.invite?.[0]) await this.#addDirect(options.invite[0], room_id);
    return room_id;
  }

  /** Joins a room by ID or alias; resolves with its ID (once in the models, while syncing). */
  async joinRoom(roomIdOrAlias: string, options: { readonly via?: readonly string[] } = {}): Promise<string> {
    const { room_id } = await this.http.call(clientApi.joinRoom, {
      params: { roomIdOrAlias },
      query: options.via ? { via: [...options.via], server_name: [...options.via] } : {},
      body: {},
    });
    this.#room(room_id);
    await this.#waitForMembership(room_id, "join");
    return room_id;
  }

  /** Invites `userId` to a room. */
  async invite(roomId: string, userId: string): Promise<void> {
    await this.http.call(clientApi.inviteUser, { params: { roomId }, body: { user_id: userId } });
  }

  /** Leaves a room (or rejects an invite). */
  async leave(roomId: string, reason?: string): Promise<void> {
    await this.http.call(clientApi.leaveRoom, { params: { roomId }, body: reason ? { reason } : {} });
    await this.#waitForMembership(roomId, "leave");
  }

  async #waitForMembership(roomId: string, membership: Membership): Promise<void> {
    if (!this.syncing) return;
    await this.waitFor(() => this.room(roomId)?.membership === membership);
  }

  /** Kicks `userId` from a room (they may join again). */
  async kick(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.http.call(clientApi.kickUser, {
      params: { roomId },
      body: { user_id: userId, ...(reason ? { reason } : {}) },
    });
  }

  /** Bans `userId` from a room. */
  async ban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.http.call(clientApi.banUser, {
      params: { roomId },
      body: { user_id: userId, ...(reason ? { reason } : {}) },
    });
  }

  /** Lifts `userId`'s ban from a room. */
  async unban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.http.call(clientApi.unbanUser, {
      params: { roomId },
      body: { user_id: userId, ...(reason ? { reason } : {}) },
    });
  }

  /**
   * A page of the public room directory (`POST /publicRooms`): of this server, or of `server`;
   * `search` filters by name, topic and alias; `since` is the previous page's `next_batch`.
   */
  publicRooms(
    options: {
      readonly limit?: number;
      readonly since?: string;
      readonly search?: string;
      readonly server?: string;
    } = {},
  ): Promise<ResponseOf<typeof clientApi.queryPublicRooms>> {
    return this.http.call(clientApi.queryPublicRooms, {
      query: options.server ? { server: options.server } : {},
      body: {
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.since ? { since: options.since } : {}),
        ...(options.search ? { filter: { generic_search_term: options.search } } : {}),
      },
    });
  }

  /** Creates a direct chat with `userId` (invites them, marks it in `m.direct`). */
  createDirectRoom(userId: string): Promise<string> {
    return this.createRoom({ invite: [userId], isDirect: true });
  }

  async #addDirect(userId: string, roomId: string): Promise<void> {
    const current = (this.accountData("m.direct") ?? {}) as Record<string, string[]>;
    const list = Array.isArray(current[userId]) ? current[userId] : [];
    if (list.includes(roomId)) return;
    await this.setAccountData("m.direct", { ...current, [userId]: [...list, roomId] });
    if (this.syncing) await this.waitFor(() => this.room(roomId)?.directUserId === userId);
  }

  /** Sets global account data. */
  async setAccountData(type: string, content: Record<string, unknown>): Promise<void> {
    await this.http.call(clientApi.setAccountData, { params: { userId: this.#me(), type }, body: content });
  }

  // ---- Sending ------------------------------------------------------------------------------------

  /**
   * Sends an event with local echo: the echo is in the room's timeline at once (`pending`), `sent`
   * when the server acknowledges (the promise resolves with the event ID), `failed` when the send
   * fails (the promise rejects; {@link retry} sends it again with the same transaction ID, which the
   * server deduplicates). Sends to one room go out in order.
   */
  sendEvent(
    roomId: string,
    type: string,
    content: Record<string, unknown>,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    const room = this.#room(roomId);
    const txnId = options.txnId ?? newTxnId(this.#txnCounter++);
    const event: ClientEvent = {
      event_id: `~${txnId}`,
      type,
      sender: this.#me(),
      origin_server_ts: Date.now(),
      content,
      room_id: roomId,
      unsigned: { transaction_id: txnId },
    };
    const item = new TimelineEvent(event, { txnId, status: "pending", synced: false });
    room.liveTimeline.addLocalEcho(item);
    this.emit("localEcho", item, roomId);
    this.emit("room", room);
    return this.#transmit(roomId, item);
  }

  /** Sends a text message (`m.text`). */
  sendText(roomId: string, body: string, options: SendOptions = {}): Promise<{ eventId: string }> {
    return this.sendMessage(roomId, { msgtype: "m.text", body }, options);
  }

  /** Sends an `m.room.message`. */
  sendMessage(
    roomId: string,
    content: Record<string, unknown>,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    return this.sendEvent(roomId, "m.room.message", content, options);
  }

  /**
   * Sends a failed local echo again, with the same transaction ID: if the first attempt reached the
   * server after all, the server answers with the same event and nothing is duplicated.
   */
  retry(roomId: string, txnId: string): Promise<{ eventId: string }> {
    const item = this.room(roomId)?.liveTimeline.byTxnId(txnId);
    if (!item) return Promise.reject(new Error(`no local echo with transaction ID ${txnId} in ${roomId}`));
    if (item.synced || (item.status === "sent" && item.eventId))
      return Promise.resolve({ eventId: item.eventId! });
    if (item.status === "pending") return Promise.reject(new Error(`${txnId} is being sent`));
    item.status = "pending";
    item.error = undefined;
    this.emit("localEcho", item, roomId);
    return this.#transmit(roomId, item);
  }

  /** The local echoes that failed, per room (to retry them, e.g. when back online). */
  failedSends(roomId?: string): Array<{ roomId: string; item: TimelineEvent }> {
    const rooms = roomId ? [this.room(roomId)].filter((r): r is Room => !!r) : this.rooms;
    return rooms.flatMap((r) =>
      r.liveTimeline.pending.filter((p) => p.status === "failed").map((item) => ({ roomId: r.roomId, item })),
    );
  }

  /** Removes a failed local echo without sending it. */
  cancelSend(roomId: string, txnId: string): boolean {
    const room = this.room(roomId);
    const item = room?.liveTimeline.byTxnId(txnId);
    if (!room || !item || item.status !== "failed") return false;
    room.liveTimeline.removeLocalEcho(txnId);
    this.emit("room", room);
    this.#schedulePersist();
    return true;
  }

  #transmit(roomId: string, item: TimelineEvent): Promise<{ eventId: string }> {
    const room = this.#room(roomId);
    const txnId = item.txnId!;
    const attempt = async (): Promise<{ eventId: string }> => {
      try {
        const { event_id } = await this.http.call(clientApi.sendMessage, {
          params: { roomId, eventType: item.type, txnId },
          body: item.event.content,
        });
        room.liveTimeline.acknowledge(txnId, event_id);
        this.emit("localEcho", item, roomId);
        return { eventId: event_id };
      } catch (e) {
        // The server's copy may have come down the sync while the response was lost.
        if (item.synced && item.eventId) return { eventId: item.eventId };
        item.status = "failed";
        item.error = e as Error;
        this.emit("localEcho", item, roomId);
        throw e;
      } finally {
        this.#schedulePersist();
      }
    };
    const previous = this.#sendQueues.get(roomId) ?? Promise.resolve();
    const result = previous.then(attempt, attempt);
    const tail = result.catch(() => undefined);
    this.#sendQueues.set(roomId, tail);
    void tail.then(() => {
      if (this.#sendQueues.get(roomId) === tail) this.#sendQueues.delete(roomId);
    });
    return result;
  }

  /** Redacts an event. */
  async redact(roomId: string, eventId: string, reason?: string): Promise<{ eventId: string }> {
    const res = await this.http.call(clientApi.redactEvent, {
      params: { roomId, eventId, txnId: newTxnId(this.#txnCounter++) },
      body: reason ? { reason } : {},
    });
    return { eventId: res.event_id };
  }

  /** Edits a text message (`m.replace` with `m.new_content`). */
  edit(
    roomId: string,
    eventId: string,
    newBody: string,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    return this.sendMessage(
      roomId,
      {
        msgtype: "m.text",
        body: `* ${newBody}`,
        "m.new_content": { msgtype: "m.text", body: newBody },
        "m.relates_to": { rel_type: "m.replace", event_id: eventId },
      },
      options,
    );
  }

  /** Reacts to an event (`m.reaction`, `m.annotation` with `key`, e.g. an emoji). */
  react(
    roomId: string,
    eventId: string,
    key: string,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    return this.sendEvent(
      roomId,
      "m.reaction",
      { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } },
      options,
    );
  }

  /** Replies to an event (`m.in_reply_to`); a reply to an event in a thread stays in the thread. */
  reply(
    roomId: string,
    eventId: string,
    body: string,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    const parent = this.room(roomId)?.liveTimeline.byId(eventId);
    const threadRoot = parent?.threadRootId;
    return this.sendMessage(
      roomId,
      {
        msgtype: "m.text",
        body,
        "m.relates_to": threadRoot
          ? {
              rel_type: "m.thread",
              event_id: threadRoot,
              is_falling_back: false,
              "m.in_reply_to": { event_id: eventId },
            }
          : { "m.in_reply_to": { event_id: eventId } },
      },
      options,
    );
  }

  /**
   * Sends a message in the thread rooted at `rootEventId` (`m.thread`, falling back to a reply to
   * the thread's latest event for clients without threads).
   */
  sendThreadMessage(
    roomId: string,
    rootEventId: string,
    body: string,
    options: SendOptions = {},
  ): Promise<{ eventId: string }> {
    const latest =
      this.room(roomId)
        ?.timeline.filter((e) => e.threadRootId === rootEventId && e.eventId)
        .at(-1)?.eventId ?? rootEventId;
    return this.sendMessage(
      roomId,
      {
        msgtype: "m.text",
        body,
        "m.relates_to": {
          rel_type: "m.thread",
          event_id: rootEventId,
          is_falling_back: true,
          "m.in_reply_to": { event_id: latest },
        },
      },
      options,
    );
  }

  /** The events relating to `eventId` (`/relations`), oldest first, following every page. */
  async relations(
    roomId: string,
    eventId: string,
    options: { readonly relType?: string } = {},
  ): Promise<ClientEvent[]> {
    const out: ClientEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await this.http.call(clientApi.getRelations, {
        params: { roomId, eventId },
        query: { dir: "f", limit: 100, ...(from ? { from } : {}) },
      });
      for (const ev of res.chunk) {
        const rel = ev.content["m.relates_to"] as { rel_type?: string } | undefined;
        if (options.relType === undefined || rel?.rel_type === options.relType) out.push(ev);
      }
      if (!res.next_batch || res.chunk.length === 0) break;
      from = res.next_batch;
    }
    return out;
  }

  /** The events of the thread rooted at `rootEventId` (the root not included), oldest first. */
  threadEvents(roomId: string, rootEventId: string): Promise<ClientEvent[]> {
    return this.relations(roomId, rootEventId, { relType: "m.thread" });
  }

  // ---- Timelines ----------------------------------------------------------------------------------

  /**
   * Loads older events (`/messages` back from the newest segment that can go back: a gap left by a
   * limited sync first, then history). Returns how many events were added and whether more exist.
   */
  paginateBack(roomId: string, limit = 30): Promise<{ added: number; more: boolean }> {
    const running = this.#paginating.get(roomId);
    if (running) return running;
    const run = (async () => {
      const room = this.room(roomId);
      const next = room?.liveTimeline.nextPagination();
      if (!room || !next) return { added: 0, more: false };
      const res = await this.http.call(clientApi.getMessages, {
        params: { roomId },
        query: { dir: "b", from: next.token, limit },
      });
      const changes = this.#acc!.applyPage(roomId, next.segment, res.chunk, res.end);
      this.#emitChanges(changes);
      this.#schedulePersist();
      return {
        added: changes.filter((c) => c.kind === "timeline").length,
        more: room.liveTimeline.canPaginateBack,
      };
    })().finally(() => this.#paginating.delete(roomId));
    this.#paginating.set(roomId, run);
    return run;
  }

  // ---- Ephemeral ----------------------------------------------------------------------------------

  /** Starts (for `timeoutMs`, default 30 s) or stops typing in a room. */
  async sendTyping(roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    await this.http.call(clientApi.setTyping, {
      params: { roomId, userId: this.#me() },
      body: typing ? { typing, timeout: timeoutMs } : { typing },
    });
  }

  /** Sends a read receipt (`m.read`, or `m.read.private` when `private`). */
  async sendReadReceipt(
    roomId: string,
    eventId: string,
    options: { readonly private?: boolean; readonly threadId?: string } = {},
  ): Promise<void> {
    await this.http.call(clientApi.sendReceipt, {
      params: { roomId, receiptType: options.private ? "m.read.private" : "m.read", eventId },
      body: options.threadId ? { thread_id: options.threadId } : {},
    });
  }

  /** Sets the fully-read marker and, optionally, the read receipt (`/read_markers`). */
  async setReadMarkers(
    roomId: string,
    markers: { readonly fullyRead?: string; readonly read?: string; readonly readPrivate?: string },
  ): Promise<void> {
    await this.http.call(clientApi.setReadMarkers, {
      params: { roomId },
      body: {
        ...(markers.fullyRead ? { "m.fully_read": markers.fullyRead } : {}),
        ...(markers.read ? { "m.read": markers.read } : {}),
        ...(markers.readPrivate ? { "m.read.private": markers.readPrivate } : {}),
      },
    });
  }

  /** Marks a room read up to `eventId` (default: its latest event): receipt and fully-read marker. */
  async markRead(roomId: string, eventId?: string): Promise<void> {
    const id = eventId ?? this.room(roomId)?.timeline.findLast((e) => e.synced && e.eventId)?.eventId;
    if (!id) return;
    await this.setReadMarkers(roomId, { fullyRead: id, read: id });
  }

  /** Sets this user's presence. */
  async setPresence(presence: "online" | "offline" | "unavailable", statusMsg?: string): Promise<void> {
    await this.http.call(clientApi.setPresence, {
      params: { userId: this.#me() },
      body: { presence, ...(statusMsg !== undefined ? { status_msg: statusMsg } : {}) },
    });
  }

  // ---- Profiles -----------------------------------------------------------------------------------

  /** A user's profile. */
  getProfile(userId: string): Promise<{ displayname?: string; avatar_url?: string }> {
    return this.http.call(clientApi.getProfile, { params: { userId } });
  }

  /** Sets this user's display name. */
  async setDisplayName(displayname: string): Promise<void> {
    await this.http.call(clientApi.setProfileField, {
      params: { userId: this.#me(), keyName: "displayname" },
      body: { displayname },
    });
  }

  /** Sets this user's avatar (`mxc://` URI). */
  async setAvatarUrl(avatarUrl: string): Promise<void> {
    await this.http.call(clientApi.setProfileField, {
      params: { userId: this.#me(), keyName: "avatar_url" },
      body: { avatar_url: avatarUrl },
    });
  }

  // ---- Media --------------------------------------------------------------------------------------

  /** Uploads a file and returns its `mxc://` URI; `onProgress` reports the bytes sent. */
  async uploadMedia(
    data: Uint8Array | Blob,
    options: {
      readonly contentType?: string;
      readonly filename?: string;
      readonly onProgress?: ProgressCallback;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<string> {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
    const contentType =
      options.contentType ?? (data instanceof Uint8Array ? undefined : data.type || undefined);
    const res = await this.http.upload(clientApi.uploadMedia, bytes, {
      ...options,
      ...(contentType ? { contentType } : {}),
    });
    return res.content_uri;
  }

  /**
   * Downloads a file by its `mxc://` URI through authenticated media
   * (`/_matrix/client/v1/media/download`, with the access token); `onProgress` reports bytes received.
   */
  downloadMedia(
    mxcUri: string,
    options: { readonly onProgress?: ProgressCallback; readonly signal?: AbortSignal } = {},
  ): Promise<Download> {
    const { serverName, mediaId } = parseMxc(mxcUri);
    return this.http.download(clientApi.downloadMedia, { serverName, mediaId }, options);
  }
}

/** Creates a client. */
export function createClient(options: ClientOptions): MatrixClient {
  return new MatrixClient(options);
}

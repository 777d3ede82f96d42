/**
 * Pushers (Client-Server API, Push Notifications module, "Pushers"; Push Gateway API): clients
 * register where their notifications go (`POST /pushers/set`, `GET /pushers`), and for each event
 * their push rules say `notify` for, the server posts a notification to each of their HTTP pushers'
 * gateways (`POST <url>` = `/_matrix/push/v1/notify`), through the server's outbound HTTPS client
 * (which trusts the operator's CAs). A gateway's `rejected` push keys are removed with their pushers
 * ("Homeservers must cease sending notification requests for these pushkeys and remove the associated
 * pushers"). A failed notification is retried with exponential backoff, in order, per pusher
 * ({@link DeliveryQueues}): bounded in time and in memory, never holding up other pushers. Each queued
 * notification is only an event and its push actions; the request is built when it is sent (counts
 * as they are then). Not kept across restarts.
 */
import { MatrixError } from "@hearth/federation";
import type { Logger } from "pino";
import type { Database, WriteOp } from "../../storage/db.js";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { Pusher, PusherStore, StoredPusher } from "../../storage/pushers.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "../rooms/current-state.js";
import { DeliveryQueues, type RetryPolicy, type SendOutcome } from "./delivery-queues.js";
import { evaluatePushRules, type PushOutcome } from "./evaluator.js";
import type { Ruleset } from "./push-rules-service.js";
import { roomPushContext } from "./unread.js";

/** What the pusher service needs. */
export interface PusherDeps {
  readonly db: Database;
  readonly store: PusherStore;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly logger: Pick<Logger, "debug" | "info" | "warn">;
  readonly now: () => number;
  readonly isLocal: (userId: string) => boolean;
  readonly ruleset: (userId: string) => Promise<Ruleset>;
  /** The user's unread notification count in a room (the notification's `counts.unread`). */
  readonly unreadCount: (userId: string, roomId: string) => Promise<number>;
  /**
   * Posts a notification to a gateway (the server's outbound HTTPS client): resolves with the
   * gateway's status and JSON body, rejects when no answer came.
   */
  readonly post: (url: string, body: unknown) => Promise<{ status: number; body: unknown }>;
  /** Retry policy of failed notifications (default {@link DEFAULT_RETRY_POLICY}). */
  readonly retry?: Partial<RetryPolicy>;
}

const PUSH_PATH = "/_matrix/push/v1/notify";

/** A notification waiting for its pusher: the event and what the rules said. */
interface QueuedPush {
  readonly userId: string;
  readonly eventId: string;
  readonly outcome: PushOutcome;
}

/** A pusher's identity: the queue key. */
function pusherKey(p: Pick<StoredPusher, "user_id" | "app_id" | "pushkey">): string {
  return `${p.user_id}\u0000${p.app_id}\u0000${p.pushkey}`;
}

function requiredString(body: Record<string, unknown>, name: string, max = 512): string {
  const v = body[name];
  if (typeof v !== "string" || v === "" || v.length > max) {
    throw new MatrixError(
      "M_MISSING_PARAM",
      `${name} must be a non-empty string of at most ${max} characters`,
    );
  }
  return v;
}

/** Pushers and their notifications. */
export class PusherService {
  /** Every pusher, by user (loaded at start; they are few). */
  readonly #byUser = new Map<string, StoredPusher[]>();
  /** Notifications waiting, per pusher. */
  readonly #queues: DeliveryQueues<QueuedPush>;

  constructor(private readonly deps: PusherDeps) {
    this.#queues = new DeliveryQueues((key, item) => this.#send(key, item), deps.retry, {
      gaveUp: (_key, item, attempts) =>
        deps.logger.warn(
          { userId: item.userId, eventId: item.eventId, attempts },
          "gave up delivering a push notification",
        ),
      dropped: (_key, item) =>
        deps.logger.info(
          { userId: item.userId, eventId: item.eventId },
          "push notification dropped: too many waiting for a failing gateway",
        ),
    });
  }

  /** Stops delivery (pending notifications are dropped). */
  stop(): void {
    this.#queues.stop();
  }

  async start(): Promise<void> {
    for (const p of await this.deps.store.all()) {
      this.#byUser.set(p.user_id, [...(this.#byUser.get(p.user_id) ?? []), p]);
    }
  }

  /** `GET /pushers`. */
  list(userId: string): Pusher[] {
    return (this.#byUser.get(userId) ?? []).map(({ user_id: _u, pushkey_ts: _t, ...p }) => p);
  }

  /** `POST /pushers/set`: creates, replaces or (with `kind: null`) deletes a pusher. */
  async set(userId: string, body: Record<string, unknown>): Promise<void> {
    const appId = requiredString(body, "app_id", 64);
    const pushkey = requiredString(body, "pushkey", 512);
    if (body.kind === null) {
      await this.#remove((p) => p.user_id === userId && p.app_id === appId && p.pushkey === pushkey);
      return;
    }
    const kind = requiredString(body, "kind");
    if (kind !== "http" && kind !== "email")
      throw new MatrixError("M_INVALID_PARAM", "kind must be http or email");
    const data = body.data;
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new MatrixError("M_MISSING_PARAM", "data must be an object");
    }
    const url = (data as { url?: unknown }).url;
    if (kind === "http") {
      let parsed: URL | undefined;
      try {
        parsed = typeof url === "string" ? new URL(url) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.pathname !== PUSH_PATH) {
        throw new MatrixError(
          "M_INVALID_PARAM",
          `data.url must be an http(s) URL with the path ${PUSH_PATH}`,
        );
      }
    }
    const pusher: StoredPusher = {
      user_id: userId,
      pushkey_ts: this.deps.now(),
      pushkey,
      kind,
      app_id: appId,
      app_display_name: requiredString(body, "app_display_name"),
      device_display_name: requiredString(body, "device_display_name"),
      ...(typeof body.profile_tag === "string" ? { profile_tag: body.profile_tag } : {}),
      lang: requiredString(body, "lang", 32),
      data: data as Pusher["data"],
    };
    // Without `append`, the same app and push key anywhere else is replaced ("Pushers").
    const append = body.append === true;
    await this.#remove(
      (p) => p.app_id === appId && p.pushkey === pushkey && (p.user_id === userId || !append),
      this.deps.store.putOps(pusher),
    );
    this.#byUser.set(userId, [...(this.#byUser.get(userId) ?? []), pusher]);
  }

  async #remove(which: (p: StoredPusher) => boolean, extra: WriteOp[] = []): Promise<void> {
    const gone = [...this.#byUser.values()].flat().filter(which);
    await this.deps.db.write([...gone.flatMap((p) => this.deps.store.deleteOps(p)), ...extra]);
    for (const p of gone) {
      this.#queues.drop(pusherKey(p));
      const left = (this.#byUser.get(p.user_id) ?? []).filter((q) => q !== p);
      if (left.length > 0) this.#byUser.set(p.user_id, left);
      else this.#byUser.delete(p.user_id);
    }
  }

  /** Called with a room's newly persisted events: notifies the gateways of members with pushers. */
  async onPersisted(roomId: string, events: readonly StoredEvent[]): Promise<void> {
    const fresh = events.filter((e) => !e.outlier && !e.rejected && !e.softFailed && !e.backfilled);
    if (fresh.length === 0 || this.#byUser.size === 0) return;
    const members = await this.deps.rooms.membersOfRoom(roomId);
    for (const [userId, m] of members) {
      const pushers = this.#byUser.get(userId);
      if (m.membership !== "join" || !pushers || !this.deps.isLocal(userId)) continue;
      const ctx = roomPushContext(this.deps, roomId, userId);
      const ruleset = await this.deps.ruleset(userId);
      for (const ev of fresh) {
        if (ev.pdu.sender === userId) continue;
        const outcome = await evaluatePushRules(
          ruleset,
          ev.pdu as unknown as Record<string, unknown>,
          ctx.forSender(ev),
        );
        if (!outcome.notify) continue;
        for (const p of pushers) {
          if (p.kind !== "http" || typeof p.data.url !== "string") continue;
          this.#queues.push(pusherKey(p), { userId, eventId: ev.eventId, outcome });
        }
      }
    }
  }

  /** Sends one queued notification to its pusher's gateway (if the pusher and the event still exist). */
  async #send(key: string, item: QueuedPush): Promise<SendOutcome> {
    const p = this.#byUser.get(item.userId)?.find((q) => pusherKey(q) === key);
    if (!p || typeof p.data.url !== "string") return "sent";
    const ev = await this.deps.events.get(item.eventId);
    if (!ev) return "sent";
    const unread = await this.deps.unreadCount(p.user_id, ev.roomId);
    const body = await this.#notification(p, ev, item.outcome, unread);
    let res: { status: number; body: unknown };
    try {
      res = await this.deps.post(p.data.url, body);
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message, url: p.data.url }, "push delivery failed");
      return "failed";
    }
    // Any HTTP error is retried ("If the endpoint returns an HTTP error code, the homeserver SHOULD
    // retry for a reasonable amount of time using exponential backoff").
    if (res.status < 200 || res.status >= 300) {
      this.deps.logger.debug({ status: res.status, url: p.data.url }, "push gateway answered an error");
      return "failed";
    }
    const rejected = (res.body as { rejected?: unknown } | undefined)?.rejected;
    if (Array.isArray(rejected) && rejected.includes(p.pushkey)) {
      this.deps.logger.info(
        { appId: p.app_id, userId: p.user_id },
        "gateway rejected a push key: pusher removed",
      );
      await this.#remove((q) => q.user_id === p.user_id && q.app_id === p.app_id && q.pushkey === p.pushkey);
    }
    return "sent";
  }

  /** The Push Gateway API's notification for one event and pusher. */
  async #notification(p: StoredPusher, ev: StoredEvent, outcome: PushOutcome, unread: number) {
    const highlight = outcome.highlight;
    const { url: _url, ...data } = p.data;
    const device = {
      app_id: p.app_id,
      pushkey: p.pushkey,
      pushkey_ts: Math.floor(p.pushkey_ts / 1000),
      data,
      tweaks: tweaksOf(outcome.actions),
    };
    const notification: Record<string, unknown> = {
      event_id: ev.eventId,
      room_id: ev.roomId,
      counts: { unread },
      prio: highlight ? "high" : "low",
      devices: [device],
    };
    if (p.data.format !== "event_id_only") {
      const name = await currentStateEvent(this.deps, ev.roomId, "m.room.name");
      const senderMember = await currentStateEvent(this.deps, ev.roomId, "m.room.member", ev.pdu.sender);
      const roomName = (name?.pdu.content as { name?: unknown } | undefined)?.name;
      const displayName = (senderMember?.pdu.content as { displayname?: unknown } | undefined)?.displayname;
      Object.assign(notification, {
        type: ev.pdu.type,
        sender: ev.pdu.sender,
        content: ev.redactedBy ? {} : ev.pdu.content,
        ...(typeof roomName === "string" ? { room_name: roomName } : {}),
        ...(typeof displayName === "string" ? { sender_display_name: displayName } : {}),
        ...(typeof ev.pdu.state_key === "string" && ev.pdu.type === "m.room.member"
          ? { user_is_target: ev.pdu.state_key === p.user_id }
          : {}),
      });
    }
    return { notification };
  }
}

/** The `set_tweak` actions as the notification's `tweaks` (`highlight` without a value means true). */
export function tweaksOf(actions: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of actions) {
    const t = a as { set_tweak?: unknown; value?: unknown } | null;
    if (typeof t !== "object" || t === null || typeof t.set_tweak !== "string") continue;
    out[t.set_tweak] = t.value === undefined && t.set_tweak === "highlight" ? true : t.value;
  }
  return out;
}

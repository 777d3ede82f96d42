/**
 * Pushers (Client-Server API, Push Notifications module, "Pushers"; Push Gateway API): clients
 * register where their notifications go (`POST /pushers/set`, `GET /pushers`), and for each event
 * their push rules say `notify` for, the server posts a notification to each of their HTTP pushers'
 * gateways (`POST <url>` = `/_matrix/push/v1/notify`). A gateway's `rejected` push keys are
 * removed. Delivery is best effort: retried a few times with backoff, not kept across restarts.
 */
import { MatrixError } from "@hearth/federation";
import type { Logger } from "pino";
import type { Database, WriteOp } from "../../storage/db.js";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { Pusher, PusherStore, StoredPusher } from "../../storage/pushers.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "../rooms/current-state.js";
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
  /** Sends the notification; defaults to `fetch`. Resolves with the gateway's status and body. */
  readonly post?: (url: string, body: unknown) => Promise<{ status: number; body: unknown }>;
  /** Retry delays (ms) after a failed delivery (default 1 s, 5 s, 30 s). */
  readonly retryDelaysMs?: readonly number[];
}

const PUSH_PATH = "/_matrix/push/v1/notify";

async function fetchPost(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json };
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

  constructor(private readonly deps: PusherDeps) {}

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
        const unread = await this.deps.unreadCount(userId, roomId);
        for (const p of pushers) {
          if (p.kind !== "http" || typeof p.data.url !== "string") continue;
          void this.#deliver(p, await this.#notification(p, ev, outcome, unread));
        }
      }
    }
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

  async #deliver(p: StoredPusher, body: unknown): Promise<void> {
    const post = this.deps.post ?? fetchPost;
    const delays = this.deps.retryDelaysMs ?? [1_000, 5_000, 30_000];
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await post(p.data.url as string, body);
        if (res.status >= 200 && res.status < 300) {
          const rejected = (res.body as { rejected?: unknown } | undefined)?.rejected;
          if (Array.isArray(rejected) && rejected.includes(p.pushkey)) {
            this.deps.logger.info(
              { appId: p.app_id, userId: p.user_id },
              "gateway rejected a push key: pusher removed",
            );
            await this.#remove(
              (q) => q.user_id === p.user_id && q.app_id === p.app_id && q.pushkey === p.pushkey,
            );
          }
          return;
        }
        // A 4xx other than 429 will not get better.
        if (res.status >= 400 && res.status < 500 && res.status !== 429) return;
      } catch (err) {
        this.deps.logger.debug({ err: (err as Error).message, url: p.data.url }, "push delivery failed");
      }
      const delay = delays[attempt];
      if (delay === undefined) {
        this.deps.logger.warn(
          { url: p.data.url, userId: p.user_id },
          "gave up delivering a push notification",
        );
        return;
      }
      await new Promise((r) => setTimeout(r, delay).unref());
    }
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

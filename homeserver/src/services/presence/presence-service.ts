/**
 * Presence (Client-Server API, Presence module; Server-Server API, "Presence"): each user's state
 * (`online`, `unavailable`, `offline`), status message and activity, shown to users who share a room
 * with them, in `/sync`'s `presence` section and through `GET /presence/{userId}/status`. Local users'
 * presence is stored; other servers' users' presence arrives in `m.presence` EDUs.
 */
import { MatrixError } from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import type { PresenceStore } from "../../storage/presence.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";
import { coMembers, shareJoinedRoom } from "../rooms/shared-rooms.js";

/** A presence state. */
export type PresenceState = "online" | "unavailable" | "offline";
/** Whether `s` is a presence state. */
export function isPresenceState(s: unknown): s is PresenceState {
  return s === "online" || s === "unavailable" || s === "offline";
}

interface Entry {
  presence: PresenceState;
  statusMsg?: string;
  lastActiveTs: number;
  /** Stream position of the last change. */
  position: number;
}

/** An `m.presence` event. */
export interface PresenceEvent {
  type: "m.presence";
  sender: string;
  content: {
    presence: PresenceState;
    last_active_ago: number;
    currently_active: boolean;
    status_msg?: string;
  };
}

/** What the presence service needs. */
export interface PresenceDeps {
  readonly serverName: string;
  readonly db: Database;
  readonly store: PresenceStore;
  readonly rooms: RoomStore;
  readonly notifier: Notifier;
  readonly now: () => number;
  /** Called when a local user's presence changes (the federation sender sends `m.presence`). */
  readonly onLocalChange?: (userId: string, event: PresenceEvent) => void;
}

/** A user counts as currently active within this long of their last activity. */
const ACTIVE_MS = 60_000;

/** Presence of local and remote users. */
export class PresenceService {
  readonly #users = new Map<string, Entry>();
  /** Positions start from the clock (presence of remote users is not stored), like typing. */
  #position: number;

  constructor(private readonly deps: PresenceDeps) {
    this.#position = deps.now();
    deps.notifier.setPosition("presence", this.#position);
  }

  /** Loads stored local presence. */
  async start(): Promise<void> {
    for (const [userId, p] of await this.deps.store.all()) {
      this.#users.set(userId, { ...p, position: 0 });
    }
  }

  /** The presence stream position. */
  get position(): number {
    return this.#position;
  }

  #isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.deps.serverName}`);
  }

  /** The `m.presence` event of a user. */
  event(userId: string): PresenceEvent | undefined {
    const e = this.#users.get(userId);
    if (!e) return undefined;
    const ago = Math.max(0, this.deps.now() - e.lastActiveTs);
    return {
      type: "m.presence",
      sender: userId,
      content: {
        presence: e.presence,
        last_active_ago: ago,
        currently_active: e.presence === "online" && ago < ACTIVE_MS,
        ...(e.statusMsg !== undefined ? { status_msg: e.statusMsg } : {}),
      },
    };
  }

  /**
   * Sets a local user's presence (`PUT /presence/{userId}/status`, or `set_presence` on `/sync`, which
   * keeps the status message). Changes are stored, shown to co-members and sent to other servers.
   */
  async setLocal(
    userId: string,
    presence: PresenceState,
    statusMsg?: string | null,
    fromSync = false,
  ): Promise<void> {
    const now = this.deps.now();
    const previous = this.#users.get(userId);
    const msg = fromSync ? previous?.statusMsg : statusMsg === null ? undefined : (statusMsg ?? undefined);
    const changed = !previous || previous.presence !== presence || previous.statusMsg !== msg;
    // A sync keeps a user active; only a change of state is an update others see.
    if (!changed && fromSync && previous) {
      previous.lastActiveTs = now;
      return;
    }
    const entry: Entry = {
      presence,
      lastActiveTs: now,
      position: ++this.#position,
      ...(msg !== undefined ? { statusMsg: msg } : {}),
    };
    this.#users.set(userId, entry);
    await this.deps.db.write(
      this.deps.store.setOps(userId, {
        presence,
        lastActiveTs: now,
        ...(msg !== undefined ? { statusMsg: msg } : {}),
      }),
    );
    await this.#announce(userId);
    const ev = this.event(userId);
    if (ev) this.deps.onLocalChange?.(userId, ev);
  }

  /** Applies an `m.presence` EDU's `push` from `origin` (only its own users). */
  async applyRemote(origin: string, push: unknown): Promise<void> {
    if (!Array.isArray(push)) return;
    for (const u of push) {
      const p = u as {
        user_id?: unknown;
        presence?: unknown;
        status_msg?: unknown;
        last_active_ago?: unknown;
      };
      if (typeof p.user_id !== "string" || !p.user_id.endsWith(`:${origin}`) || !isPresenceState(p.presence))
        continue;
      const ago = typeof p.last_active_ago === "number" && p.last_active_ago >= 0 ? p.last_active_ago : 0;
      this.#users.set(p.user_id, {
        presence: p.presence,
        lastActiveTs: this.deps.now() - ago,
        position: ++this.#position,
        ...(typeof p.status_msg === "string" ? { statusMsg: p.status_msg } : {}),
      });
      await this.#announce(p.user_id);
    }
  }

  async #announce(userId: string): Promise<void> {
    const rooms = [...(await this.deps.rooms.roomsOfUser(userId))]
      .filter(([, m]) => m.membership === "join")
      .map(([id]) => id);
    this.deps.notifier.notify({ stream: "presence", position: this.#position, users: [userId], rooms });
  }

  /** Whether `viewer` may see `userId`'s presence: themself, or they share a joined room. */
  async maySee(viewer: string, userId: string): Promise<boolean> {
    return shareJoinedRoom(this.deps.rooms, viewer, userId);
  }

  /** `GET /presence/{userId}/status`. */
  async status(viewer: string, userId: string): Promise<PresenceEvent["content"]> {
    if (!(await this.maySee(viewer, userId)))
      throw new MatrixError("M_FORBIDDEN", "You do not share a room with this user");
    const ev = this.event(userId);
    if (!ev) {
      if (this.#isLocal(userId)) return { presence: "offline", last_active_ago: 0, currently_active: false };
      throw new MatrixError("M_NOT_FOUND", "No presence known for this user");
    }
    return ev.content;
  }

  /**
   * The `m.presence` events `viewer` should get: users sharing a room (and the viewer), whose presence
   * changed in (after, upTo] — or all known ones when `after` is undefined (initial sync).
   */
  async events(viewer: string, after: number | undefined, upTo: number): Promise<PresenceEvent[]> {
    const changed = [...this.#users].filter(
      ([, e]) => e.position <= upTo && (after === undefined || e.position > after),
    );
    if (changed.length === 0) return [];
    const visible = await coMembers(this.deps.rooms, viewer);
    const out: PresenceEvent[] = [];
    for (const [userId] of changed) {
      if (!visible.has(userId)) continue;
      const ev = this.event(userId);
      if (ev) out.push(ev);
    }
    return out;
  }

  /**
   * The `m.presence` events of a room's joined members whose presence changed in (after, upTo]: what
   * a user previewing a `world_readable` room without joining it sees ("Room Previews").
   */
  async roomEvents(roomId: string, after: number, upTo: number): Promise<PresenceEvent[]> {
    const changed = [...this.#users].filter(([, e]) => e.position <= upTo && e.position > after);
    if (changed.length === 0) return [];
    const members = await this.deps.rooms.membersOfRoom(roomId);
    const out: PresenceEvent[] = [];
    for (const [userId] of changed) {
      if (members.get(userId)?.membership !== "join") continue;
      const ev = this.event(userId);
      if (ev) out.push(ev);
    }
    return out;
  }
}

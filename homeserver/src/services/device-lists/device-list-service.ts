/**
 * Device list tracking (Client-Server API, "Tracking the device list for a user" and "Extensions to
 * /sync"; Server-Server API, "Device Management"). A local user sees in `/sync`'s
 * `device_lists.changed` (and `/keys/changes`) every user they share a room with who
 *
 * - changed their devices or device keys, or their cross-signing keys (or got a new signature of
 *   them), here or, by `m.device_list_update` / `m.signing_key_update` EDUs, on their own server;
 * - newly shares a room with them: a user joined a room the viewer is in and they shared no other
 *   room, or the viewer joined a room (all its members, as Synapse: the client learns of them anew);
 * - had their master key signed by the viewer (with the viewer's user-signing key, which only the
 *   viewer sees);
 *
 * and in `device_lists.left` every user they no longer share any room with. Servers sharing a room
 * with a local user get `m.device_list_update` EDUs for that user's changes.
 *
 * Positions start from the clock and are not stored, like typing. What happened since a position
 * older than what the service remembers (a token from before a restart, or one older than the oldest
 * entry kept) cannot be told apart, so such a request is answered with every user the viewer shares a
 * room with as changed: clients then query them all again, which is correct, only slower.
 */
import type { StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";

/** An `m.device_list_update` EDU's content. */
export interface DeviceListUpdate {
  user_id: string;
  device_id: string;
  stream_id: number;
  prev_id: number[];
  device_display_name?: string;
  deleted?: boolean;
  /** The device's identity keys, when it has uploaded them. */
  keys?: Record<string, unknown>;
}

/** What the service needs. */
export interface DeviceListDeps {
  readonly serverName: string;
  readonly rooms: Pick<RoomStore, "roomsOfUser" | "membersOfRoom" | "membership">;
  readonly notifier: Notifier;
  readonly now: () => number;
  /** A local user's current devices. */
  readonly devicesOf: (userId: string) => Promise<Array<{ device_id: string; display_name?: string }>>;
  /** A local user's devices' identity keys, by device ID (sent along in the updates). */
  readonly keysOf?: (userId: string) => Promise<Record<string, Record<string, unknown>>>;
  /** Sends updates of a local user to the servers sharing a room with them. */
  readonly sendRemote?: (userId: string, updates: DeviceListUpdate[]) => void;
  /** `userId`'s membership in the event's room in the state before the event, if any. */
  readonly membershipBefore?: (ev: StoredEvent, userId: string) => Promise<string | undefined>;
  /** At most this many per-viewer entries are kept (default 100 000); older ones are forgotten. */
  readonly maxEntries?: number;
}

/** The device lists of users a viewer should fetch again, and of users it stopped sharing rooms with. */
export interface DeviceListChanges {
  readonly changed: string[];
  readonly left: string[];
}

/**
 * One entry of the membership log: `userId` joined (`joined`) or left `roomId`; or `signer` signed
 * `userId`'s master key.
 */
type LogEntry =
  | {
      readonly position: number;
      readonly kind: "member";
      readonly roomId: string;
      readonly userId: string;
      readonly joined: boolean;
    }
  | { readonly position: number; readonly kind: "signed"; readonly signer: string; readonly userId: string };

const DEFAULT_MAX_ENTRIES = 100_000;

/** Device list changes. */
export class DeviceListService {
  /** Per user, the position of their last change. */
  readonly #changed = new Map<string, number>();
  #position: number;
  /** Positions after this one are all known; a request from before it gets everyone. */
  #horizon: number;
  /** Membership changes and signatures, oldest first (positions increasing), bounded. */
  #log: LogEntry[] = [];
  #logHead = 0;
  /** Per local user, the stream_id of their last update sent (for `prev_id`). */
  readonly #lastSent = new Map<string, number>();

  constructor(private readonly deps: DeviceListDeps) {
    this.#position = deps.now();
    this.#horizon = this.#position;
    deps.notifier.setPosition("device_lists", this.#position);
  }

  /** The device-lists stream position. */
  get position(): number {
    return this.#position;
  }

  async #bump(userId: string): Promise<number> {
    const position = ++this.#position;
    this.#changed.set(userId, position);
    const rooms = [...(await this.deps.rooms.roomsOfUser(userId))]
      .filter(([, m]) => m.membership === "join")
      .map(([id]) => id);
    this.deps.notifier.notify({ stream: "device_lists", position, users: [userId], rooms });
    return position;
  }

  /** A local user's devices changed. */
  async localChanged(userId: string): Promise<void> {
    const position = await this.#bump(userId);
    if (!this.deps.sendRemote) return;
    const prev = this.#lastSent.get(userId);
    this.#lastSent.set(userId, position);
    const devices = await this.deps.devicesOf(userId);
    const keys = (await this.deps.keysOf?.(userId)) ?? {};
    // Receivers keep a user's list by stream_id; a gap (or a deletion) makes them fetch it anew
    // (GET /user/devices), so every current device is announced with the new stream_id.
    const updates = devices.map((d) => ({
      user_id: userId,
      device_id: d.device_id,
      stream_id: position,
      prev_id: prev !== undefined ? [prev] : [],
      ...(d.display_name !== undefined ? { device_display_name: d.display_name } : {}),
      ...(keys[d.device_id] ? { keys: withoutUnsigned(keys[d.device_id]!) } : {}),
    }));
    if (updates.length === 0)
      updates.push({
        user_id: userId,
        device_id: "",
        stream_id: position,
        prev_id: [],
        deleted: true,
      } as never);
    this.deps.sendRemote(userId, updates);
  }

  /** An `m.device_list_update` EDU from `origin` (its own users only). */
  async remoteChanged(origin: string, content: Record<string, unknown>): Promise<void> {
    const userId = content.user_id;
    if (typeof userId !== "string" || !userId.endsWith(`:${origin}`)) return;
    await this.#bump(userId);
  }

  /** `signer` (local) signed the master keys of `targets`: only the signer's clients are told. */
  async othersSigned(signer: string, targets: readonly string[]): Promise<void> {
    const position = ++this.#position;
    for (const userId of targets) this.#append({ position, kind: "signed", signer, userId });
    this.deps.notifier.notify({ stream: "device_lists", position, users: [signer] });
  }

  /**
   * Called with a room's newly persisted events: a member who joined or left (by an event that
   * became the room's current membership) changes who shares rooms with whom. Recorded in O(1);
   * what each viewer makes of it is worked out when it asks ({@link changes}).
   */
  async membershipChanged(roomId: string, events: readonly StoredEvent[]): Promise<void> {
    for (const ev of events) {
      if (ev.pdu.type !== "m.room.member" || typeof ev.pdu.state_key !== "string") continue;
      if (ev.outlier || ev.rejected || ev.softFailed || ev.backfilled) continue;
      const userId = ev.pdu.state_key;
      const current = await this.deps.rooms.membership(userId, roomId);
      if (current?.eventId !== ev.eventId) continue;
      const before = await this.deps.membershipBefore?.(ev, userId);
      const joined = current.membership === "join";
      if (joined === (before === "join")) continue;
      const position = ++this.#position;
      this.#append({ position, kind: "member", roomId, userId, joined });
      this.deps.notifier.notify({ stream: "device_lists", position, users: [userId], rooms: [roomId] });
    }
  }

  #append(entry: LogEntry): void {
    this.#log.push(entry);
    const max = this.deps.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (this.#log.length - this.#logHead <= max) return;
    // The oldest entry is forgotten: a request from before it can no longer be answered exactly.
    this.#horizon = Math.max(this.#horizon, this.#log[this.#logHead++]!.position);
    if (this.#logHead > 1024 && this.#logHead * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#logHead);
      this.#logHead = 0;
    }
  }

  /** The log entries in (after, upTo]. */
  *#window(after: number, upTo: number): Generator<LogEntry> {
    let lo = this.#logHead;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#log[mid]!.position <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#log.length && this.#log[i]!.position <= upTo; i++) yield this.#log[i]!;
  }

  /** The joined members of each room `viewer` is joined to, and all of them (the viewer included). */
  async #sharedRooms(viewer: string): Promise<{ shared: Set<string>; byRoom: Map<string, Set<string>> }> {
    const shared = new Set([viewer]);
    const byRoom = new Map<string, Set<string>>();
    for (const [roomId, m] of await this.deps.rooms.roomsOfUser(viewer)) {
      if (m.membership !== "join") continue;
      const members = await this.#joinedMembers(roomId);
      byRoom.set(roomId, members);
      for (const member of members) shared.add(member);
    }
    return { shared, byRoom };
  }

  async #joinedMembers(roomId: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const [member, m] of await this.deps.rooms.membersOfRoom(roomId))
      if (m.membership === "join") out.add(member);
    return out;
  }

  /**
   * What `viewer` is told for (after, upTo] ("Tracking the device list for a user"): in `changed`,
   * users sharing a room with it now (itself included) whose devices or cross-signing keys changed,
   * who newly share a room with it (a user joined one of its rooms and shares no room with it from
   * before; or it joined a room: all the room's members), or whose master key it signed; in `left`,
   * users it no longer shares any room with (a user left one of its rooms, or it left a room). Nothing
   * for an initial sync (`after` undefined), as the spec says.
   */
  async changes(viewer: string, after: number | undefined, upTo: number): Promise<DeviceListChanges> {
    if (after === undefined) return { changed: [], left: [] };
    const { shared, byRoom } = await this.#sharedRooms(viewer);
    if (after < this.#horizon) return { changed: [...shared], left: [] };
    const changed = new Set<string>();
    const left = new Set<string>();
    for (const [userId, position] of this.#changed)
      if (position > after && position <= upTo && shared.has(userId)) changed.add(userId);
    // Others' moves in the viewer's rooms, latest per (user, room); the viewer's own moves.
    const moves = new Map<string, Map<string, boolean>>();
    const own: Array<{ roomId: string; joined: boolean }> = [];
    for (const entry of this.#window(after, upTo)) {
      if (entry.kind === "signed") {
        if (entry.signer === viewer) changed.add(entry.userId);
      } else if (entry.userId === viewer) {
        own.push(entry);
      } else if (byRoom.has(entry.roomId)) {
        const rooms = moves.get(entry.userId) ?? new Map<string, boolean>();
        rooms.set(entry.roomId, entry.joined);
        moves.set(entry.userId, rooms);
      }
    }
    for (const [userId, rooms] of moves) {
      if (!shared.has(userId)) {
        if ([...rooms.values()].includes(false)) left.add(userId);
        continue;
      }
      // Newly shared: every room the viewer shares with the user now is one the user joined since.
      let before = false;
      for (const [roomId, members] of byRoom) {
        if (members.has(userId) && rooms.get(roomId) !== true) {
          before = true;
          break;
        }
      }
      if (!before) changed.add(userId);
    }
    for (const { roomId, joined } of own) {
      for (const member of byRoom.get(roomId) ?? (await this.#joinedMembers(roomId))) {
        if (member === viewer) continue;
        if (joined && shared.has(member)) changed.add(member);
        if (!joined && !shared.has(member)) left.add(member);
      }
    }
    for (const userId of changed) left.delete(userId);
    return { changed: [...changed], left: [...left] };
  }
}

/** Device keys as signed: without the `unsigned` the query answers add. */
function withoutUnsigned(k: Record<string, unknown>): Record<string, unknown> {
  const { unsigned: _unsigned, ...rest } = k;
  return rest;
}

/**
 * Device list tracking (Client-Server API, "Tracking the device list for a user"; Server-Server API,
 * "Device Management"): when a user's devices change, users who share a room with them see the user in
 * `/sync`'s `device_lists.changed`, and the servers that share a room get `m.device_list_update` EDUs.
 * Other servers' updates arrive the same way. Positions start from the clock (not stored), like typing.
 */
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";
import { coMembers } from "../rooms/shared-rooms.js";

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
  readonly rooms: RoomStore;
  readonly notifier: Notifier;
  readonly now: () => number;
  /** A local user's current devices. */
  readonly devicesOf: (userId: string) => Promise<Array<{ device_id: string; display_name?: string }>>;
  /** A local user's devices' identity keys, by device ID (sent along in the updates). */
  readonly keysOf?: (userId: string) => Promise<Record<string, Record<string, unknown>>>;
  /** Sends updates of a local user to the servers sharing a room with them. */
  readonly sendRemote?: (userId: string, updates: DeviceListUpdate[]) => void;
}

/** Device list changes. */
export class DeviceListService {
  /** Per user, the position of their last change. */
  readonly #changed = new Map<string, number>();
  #position: number;
  /** Per local user, the stream_id of their last update sent (for `prev_id`). */
  readonly #lastSent = new Map<string, number>();

  constructor(private readonly deps: DeviceListDeps) {
    this.#position = deps.now();
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

  /** Users whose devices changed in (after, upTo] and who share a room with `viewer`. */
  async changes(viewer: string, after: number | undefined, upTo: number): Promise<string[]> {
    if (after === undefined) return [];
    const changed = [...this.#changed].filter(([, position]) => position > after && position <= upTo);
    if (changed.length === 0) return [];
    const visible = await coMembers(this.deps.rooms, viewer);
    return changed.filter(([userId]) => visible.has(userId)).map(([userId]) => userId);
  }
}

/** Device keys as signed: without the `unsigned` the query answers add. */
function withoutUnsigned(k: Record<string, unknown>): Record<string, unknown> {
  const { unsigned: _unsigned, ...rest } = k;
  return rest;
}

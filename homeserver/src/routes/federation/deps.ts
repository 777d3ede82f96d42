/**
 * What the federation serving endpoints read: narrow readers over the stores and services, wired in
 * `federation/module.ts`.
 */

import type { KeyService } from "../../federation/keys.js";
import type { FederationRoomAccess } from "../../federation/room-access.js";
import type { DeviceInfo, ProfileReader } from "../../services/accounts/index.js";
import type { DirectoryStore } from "../../storage/directory.js";
import type { EventStore } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";

/** The published room directory, as `DirectoryService.publicRooms` serves it. */
export type PublicRoomsReader = (options: { limit?: number; since?: string; search?: string }) => Promise<{
  chunk: unknown[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}>;

/**
 * The identity keys of a user's devices (device ID → signed device keys). Until end-to-end encryption
 * lands, no device has keys.
 */
export type DeviceKeysReader = (userId: string) => Promise<ReadonlyMap<string, Record<string, unknown>>>;

/** The dependencies of the serving endpoints. */
export interface FederationServingDeps {
  readonly serverName: string;
  /** Our implementation version, for `/version`. */
  readonly version: string;
  readonly keys: KeyService;
  readonly access: FederationRoomAccess;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly directory: DirectoryStore;
  readonly publicRooms: PublicRoomsReader;
  readonly profiles: ProfileReader;
  readonly devices: { listDevices(userId: string): Promise<DeviceInfo[]> };
  readonly deviceKeys?: DeviceKeysReader;
  /** The federation listener's bound port, once it is listening (for `.well-known`). */
  readonly federationPort: () => number | undefined;
  readonly now: () => number;
}

/** The domain of a user ID or room alias. */
export function domainOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

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

/** End-to-end encryption keys of our users, as the key service answers for other servers. */
export interface E2eKeysReader {
  /** `POST /user/keys/query`: device keys and master and self-signing keys of the wanted users. */
  queryLocal(wanted: Record<string, unknown>): Promise<{
    device_keys: Record<string, Record<string, Record<string, unknown>>>;
    master_keys: Record<string, Record<string, unknown>>;
    self_signing_keys: Record<string, Record<string, unknown>>;
  }>;
  /** `POST /user/keys/claim`: one key per wanted (user, device, algorithm). */
  claimLocal(wanted: Record<string, unknown>): Promise<Record<string, unknown>>;
}

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
  readonly e2eKeys?: E2eKeysReader;
  /** The federation listener's bound port, once it is listening (for `.well-known`). */
  readonly federationPort: () => number | undefined;
  readonly now: () => number;
}

/** The domain of a user ID or room alias. */
export function domainOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

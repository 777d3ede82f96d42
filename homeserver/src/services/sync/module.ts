/**
 * The read path of the server: `/sync`, filters, account data, and the room read endpoints, with
 * history visibility applied throughout. Built here from the stores the write path owns.
 */
import type { Route } from "../../http/route.js";
import { accountDataRoutes } from "../../routes/client/account-data/index.js";
import { filterRoutes } from "../../routes/client/filters/index.js";
import { getRelations, getThreads } from "../../routes/client/room-reads/get-relations.js";
import { roomReadRoutes } from "../../routes/client/room-reads/index.js";
import { postSearch } from "../../routes/client/room-reads/post-search.js";
import { syncRoutes } from "../../routes/client/sync/index.js";
import { legacySyncRoutes } from "../../routes/client/sync/legacy.js";
import type { ModuleContext } from "../../server.js";
import { AccountDataStore } from "../../storage/account-data.js";
import type { EventStore } from "../../storage/events.js";
import { FilterStore } from "../../storage/filters.js";
import type { RelationStore } from "../../storage/relations.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { SearchIndex } from "../../storage/search.js";
import type { StateGroupStore } from "../../storage/state.js";
import { AccountDataService } from "../account-data/account-data-service.js";
import type { ClientEventFormatter } from "../events/client-format.js";
import type { Notifier } from "../notifier.js";
import { HistoryVisibility } from "../visibility/history-visibility.js";
import { FilterService } from "./filter-service.js";
import { LegacySyncService } from "./legacy-sync.js";
import { RelationReadService } from "./relation-reads.js";
import { RoomReadService } from "./room-reads.js";
import { RoomStateReader } from "./room-state.js";
import { SearchService } from "./search.js";
import {
  type EphemeralSource,
  type PresenceSource,
  type SyncDeps,
  SyncService,
  type ToDeviceSource,
} from "./sync-service.js";

/** What the read path is built from. */
export interface ReadModuleDeps {
  readonly ctx: ModuleContext;
  readonly events: EventStore;
  readonly roomStore: RoomStore;
  readonly stateGroups: StateGroupStore;
  readonly notifier: Notifier;
  readonly formatter: ClientEventFormatter;
  /**
   * The events stream position up to which every event is persisted (no event at or below it is
   * still being written). `/sync` reads up to here and puts it in `next_batch`.
   */
  readonly pipelinePosition: () => number;
  /** Receipts and typing for sync's ephemeral sections. */
  readonly ephemeral?: EphemeralSource;
  /** Push rules for initial syncs' `m.push_rules` account data. */
  readonly pushRules?: (userId: string) => Promise<Record<string, unknown>>;
  /** Unread notification counts for sync. */
  readonly unread?: SyncDeps["unread"];
  readonly unreadThreads?: SyncDeps["unreadThreads"];
  /** Fetches older history from other servers when `/messages` pages past what we hold. */
  readonly backfill?: (roomId: string, limit: number) => Promise<number>;
  /** The syncing device's to-device messages. */
  readonly toDevice?: ToDeviceSource;
  /** Users whose device lists changed. */
  readonly deviceLists?: SyncDeps["deviceLists"];
  readonly e2eKeys?: SyncDeps["e2eKeys"];
  /** The relationship index, for `/relations` and `/threads`. */
  readonly relations?: RelationStore;
  /** The full-text index, for `/search`. */
  readonly search?: SearchIndex;
  /** Presence for sync's `presence` section. */
  readonly presence?: PresenceSource;
  /** Presence of a room's joined members changed in (after, upTo], for rooms previewed by `/events`. */
  readonly roomPresence?: (roomId: string, after: number, upTo: number) => Promise<Record<string, unknown>[]>;
  /** Applies `set_presence` of a sync (online unless the client says otherwise). */
  readonly setPresence?: (userId: string, state: "online" | "unavailable" | "offline") => Promise<void>;
  /** Whether a room is in the public room directory (the legacy initial syncs' `visibility`). */
  readonly published?: (roomId: string) => Promise<boolean>;
}

/**
 * The read path's routes and the services other modules use (account data for read markers and tags;
 * sync and filters for the WebSocket sync stream).
 */
export interface ReadModule {
  readonly routes: Route[];
  readonly accountData: AccountDataService;
  readonly visibility: HistoryVisibility;
  readonly sync: SyncService;
  readonly filters: FilterService;
}

/** Builds the read path. */
export async function readModule(deps: ReadModuleDeps): Promise<ReadModule> {
  const { ctx, events, roomStore, stateGroups, notifier, formatter } = deps;
  const accountData = await AccountDataService.open({
    db: ctx.db,
    store: new AccountDataStore(ctx.db),
    counters: roomStore,
    notifier,
  });
  const visibility = new HistoryVisibility({ events, stateGroups, rooms: roomStore });
  const reader = new RoomStateReader(events, stateGroups, formatter);
  const filters = new FilterService(new FilterStore(ctx.db));
  const sync = new SyncService({
    events,
    rooms: roomStore,
    notifier,
    visibility,
    accountData,
    reader,
    eventsPosition: deps.pipelinePosition,
    now: ctx.now,
    ...(deps.ephemeral ? { ephemeral: deps.ephemeral } : {}),
    ...(deps.pushRules ? { pushRules: deps.pushRules } : {}),
    ...(deps.unread ? { unread: deps.unread } : {}),
    ...(deps.unreadThreads ? { unreadThreads: deps.unreadThreads } : {}),
    ...(deps.presence ? { presence: deps.presence } : {}),
    ...(deps.toDevice ? { toDevice: deps.toDevice } : {}),
    ...(deps.deviceLists ? { deviceLists: deps.deviceLists } : {}),
    ...(deps.e2eKeys ? { e2eKeys: deps.e2eKeys } : {}),
  });
  const reads = new RoomReadService({
    events,
    rooms: roomStore,
    visibility,
    reader,
    ...(deps.backfill ? { backfill: deps.backfill } : {}),
  });
  const relationReads = deps.relations
    ? new RelationReadService({
        events,
        relations: deps.relations,
        visibility,
        serialize: (evs, opts) => reader.serialize(evs, opts) as Promise<Record<string, unknown>[]>,
      })
    : undefined;
  return {
    routes: [
      ...filterRoutes(filters),
      ...accountDataRoutes(accountData),
      ...syncRoutes(sync, filters, deps.setPresence),
      ...legacySyncRoutes(
        new LegacySyncService({
          sync,
          filters,
          reads,
          events,
          rooms: roomStore,
          visibility,
          notifier,
          ...(deps.published ? { published: deps.published } : {}),
          ...(deps.ephemeral ? { ephemeral: deps.ephemeral } : {}),
          ...(deps.roomPresence ? { roomPresence: deps.roomPresence } : {}),
        }),
      ),
      ...roomReadRoutes(reads),
      ...(relationReads ? [getRelations(relationReads), getThreads(relationReads)] : []),
      ...(deps.search
        ? [
            postSearch(
              new SearchService({
                events,
                rooms: roomStore,
                index: deps.search,
                visibility,
                serialize: (evs, opts) => reader.serialize(evs, opts) as Promise<Record<string, unknown>[]>,
              }),
            ),
          ]
        : []),
    ],
    accountData,
    visibility,
    sync,
    filters,
  };
}

import { join } from "node:path";
/**
 * Builds every service and the routes that expose them. Cross-service effects (a profile change
 * updates member events; deactivation leaves rooms) are wired here as narrow callbacks, so no service
 * holds another service's whole object.
 */

import { MatrixError, stateMapKey } from "@hearth/federation";
import { type FederationModule, federationModule } from "./federation/module.js";
import { trustedCas } from "./federation/outbound.js";
import type { FederationRoute } from "./federation/route.js";
import type { TokenAuthenticator } from "./http/app.js";
import { createOutboundHttp } from "./http/outbound.js";
import type { Route } from "./http/route.js";
import { directoryRoutes } from "./routes/client/directory/index.js";
import { userDirectorySearch } from "./routes/client/directory/user-directory.js";
import { ephemeralRoutes } from "./routes/client/ephemeral/index.js";
import { keyRoutes } from "./routes/client/keys/index.js";
import { roomKeyRoutes } from "./routes/client/keys/room-keys.js";
import { mediaRoutes } from "./routes/client/media/index.js";
import { getHealthRoute } from "./routes/client/meta/get-health.js";
import { metaRoutes } from "./routes/client/meta/index.js";
import { miscRoutes } from "./routes/client/misc/index.js";
import { openIdTokenRoute, openIdUserInfoRoute } from "./routes/client/misc/openid.js";
import { presenceRoutes } from "./routes/client/presence/index.js";
import { pushRuleRoutes } from "./routes/client/push-rules/index.js";
import { notificationsRoute, pusherRoutes } from "./routes/client/pushers/index.js";
import { roomRoutes } from "./routes/client/rooms/index.js";
import { hierarchyRoute } from "./routes/client/spaces/index.js";
import { sendToDevice } from "./routes/client/to-device/put-send-to-device.js";
import { getGossipRecordRoute } from "./routes/federation/get-gossip-record.js";
import { getHierarchyRoute } from "./routes/federation/get-hierarchy.js";
import { federationMediaRoutes } from "./routes/federation/media.js";
import { membershipRoutes } from "./routes/federation/membership-routes.js";
import type { ModuleContext } from "./server.js";
import { accountsModule } from "./services/accounts/module.js";
import { DeviceListService } from "./services/device-lists/device-list-service.js";
import { E2eKeyService } from "./services/e2e-keys/e2e-key-service.js";
import { KeyBackupService } from "./services/e2e-keys/key-backup-service.js";
import { ReceiptService } from "./services/ephemeral/receipts.js";
import { TypingService } from "./services/ephemeral/typing.js";
import { ClientEventFormatter } from "./services/events/client-format.js";
import { EventPipeline } from "./services/events/pipeline.js";
import { BackfillService } from "./services/federation/backfill.js";
import { InboundService } from "./services/federation/inbound/inbound-service.js";
import { FederatedMembership } from "./services/federation/membership/membership-service.js";
import {
  createFederationSender,
  type Edu,
  type FederationSender,
  presenceEdu,
  receiptEdu,
  typingEdu,
} from "./services/federation/sender/index.js";
import { GossipService } from "./services/gossip/gossip-service.js";
import { HealthService } from "./services/health/health-service.js";
import { MediaService } from "./services/media/media-service.js";
import { fetchRemoteMedia } from "./services/media/remote-media.js";
import { Notifier } from "./services/notifier.js";
import { OpenIdService } from "./services/openid/openid-service.js";
import { PresenceService } from "./services/presence/presence-service.js";
import { NotificationsService } from "./services/push/notifications.js";
import { PushRulesService } from "./services/push/push-rules-service.js";
import { PusherService } from "./services/push/pusher-service.js";
import { UnreadCounter } from "./services/push/unread.js";
import { DirectoryService } from "./services/rooms/directory-service.js";
import { ReportService } from "./services/rooms/report-service.js";
import { RoomService } from "./services/rooms/room-service.js";
import { SpaceHierarchy } from "./services/rooms/space-hierarchy.js";
import { UserDirectory } from "./services/rooms/user-directory.js";
import { type ReadModule, readModule } from "./services/sync/module.js";
import { WsSyncStreams } from "./services/sync/ws-stream.js";
import { ToDeviceService } from "./services/to-device/to-device-service.js";
import { DirectoryStore } from "./storage/directory.js";
import { E2eKeyStore } from "./storage/e2e-keys.js";
import { EventStore, type StoredEvent } from "./storage/events.js";
import { HealthProbeStore } from "./storage/health.js";
import { MediaStore } from "./storage/media.js";
import { PresenceStore } from "./storage/presence.js";
import { PushRuleStore } from "./storage/push-rules.js";
import { PusherStore } from "./storage/pushers.js";
import { ReceiptStore } from "./storage/receipts.js";
import { RelationStore } from "./storage/relations.js";
import { ReportStore } from "./storage/reports.js";
import { RoomKeyStore } from "./storage/room-keys.js";
import { RoomStore } from "./storage/rooms.js";
import { SearchIndex } from "./storage/search.js";
import { StateGroupStore } from "./storage/state.js";
import { ToDeviceStore } from "./storage/to-device.js";

/** The built services: routes, the token authenticator, and a stop hook. */
export interface BuiltModules {
  readonly routes: Route[];
  /** The federation listener's routes (empty without federation). */
  readonly federationRoutes: readonly FederationRoute[];
  readonly authenticator: TokenAuthenticator;
  /** The services and stores, for tests and tools. */
  readonly services: {
    readonly rooms: RoomService;
    readonly pipeline: EventPipeline;
    readonly notifier: Notifier;
    readonly formatter: ClientEventFormatter;
    readonly events: EventStore;
    readonly roomStore: RoomStore;
    readonly stateGroups: StateGroupStore;
    /** The outbound federation sender, when federation is configured. */
    readonly sender: FederationSender | undefined;
    /** Gossip among Hearth servers, when configured. */
    readonly gossip: GossipService | undefined;
    /** The WebSocket sync streams, when `ws_sync` is on. */
    readonly wsSync: WsSyncStreams | undefined;
  };
  /** Starts background work: the federation listener and sender (when federation is configured). */
  start(): Promise<{ federationPort?: number }>;
  /** Stops background work (long-polls, timers, federation) before the database closes. */
  stop(): Promise<void>;
}

/** Builds every module of the server. */
export async function buildModules(ctx: ModuleContext): Promise<BuiltModules> {
  const { db, config, logger, signingKey, now } = ctx;
  const events = new EventStore(db);
  const stateGroups = new StateGroupStore(db);
  const roomStore = new RoomStore(db);
  const directory = new DirectoryStore(db);
  const notifier = new Notifier();
  const isLocal = (userId: string) => userId.endsWith(`:${config.serverName}`);
  // The federation sender, when federation is configured (assigned below, before any request).
  let sender: FederationSender | undefined;
  // Gossip among Hearth servers, when configured (assigned below, before any request).
  let gossip: GossipService | undefined;
  const relations = new RelationStore(db);
  await relations.load();
  const searchIndex = new SearchIndex(db);
  // Assigned once push rules and unread counts exist (below), before any request.
  let pushers: PusherService | undefined;
  // Device lists learn of joins and leaves (assigned below, before any request).
  let membershipChanged: ((roomId: string, persisted: readonly StoredEvent[]) => void) | undefined;
  const pipeline = await EventPipeline.open({
    relations,
    search: searchIndex,
    serverName: config.serverName,
    signingKey,
    db,
    events,
    stateGroups,
    rooms: roomStore,
    notifier,
    logger,
    now,
    onPersisted: (roomId, persisted) => {
      void sender?.enqueueRoomEvents(roomId, persisted);
      gossip?.onPersisted(roomId, persisted);
      pushers
        ?.onPersisted(roomId, persisted)
        .catch((err) => logger.warn({ err, roomId }, "push notifications failed"));
      membershipChanged?.(roomId, persisted);
      // Guests leave rooms that stop admitting them ("Guest Access", "Server behaviour").
      if (persisted.some((e) => e.pdu.type === "m.room.guest_access" && !e.rejected && !e.softFailed)) {
        rooms
          ?.guestAccessChanged(roomId)
          .catch((err) => logger.warn({ err, roomId }, "removing guests after a guest_access change failed"));
      }
    },
  });
  const formatter = new ClientEventFormatter(events, roomStore, stateGroups, now, relations);

  // The room service reads profiles from accounts; accounts call back into rooms on profile changes
  // and deactivation. `rooms` is assigned before any request can reach these callbacks.
  let rooms: RoomService | undefined;
  // The WebSocket sync streams (built with the read path, below) close when their device logs out.
  let wsSync: WsSyncStreams | undefined;
  const accounts = accountsModule(ctx, {
    leaveAllRooms: (userId) => rooms!.leaveAll(userId),
    profileChanged: (userId, profile) => rooms!.profileChanged(userId, profile),
    devicesChanged: async (userId) => {
      await e2eKeys.forgetDeletedDevices(userId);
      await deviceLists.localChanged(userId);
    },
    sessionsRevoked: (userId, deviceIds) => wsSync?.revoke(userId, deviceIds),
    remoteProfile: async (userId) => {
      if (!membership) return undefined;
      return membership.queryProfile(userId);
    },
  });
  /** The federation client, for services asking other servers; `what` names what needs it. */
  const federationClient = (what: string) => {
    if (!federation) throw new MatrixError("M_FORBIDDEN", `${what} needs federation`);
    return federation.client;
  };
  const directoryService = new DirectoryService({
    serverName: config.serverName,
    db,
    directory,
    rooms: roomStore,
    events,
    isAdmin: (userId) => accounts.accounts.isAdmin(userId),
    remotePublicRooms: async (server, body) =>
      (
        await federationClient("Querying other servers' directories").request(
          server,
          "POST",
          "/_matrix/federation/v1/publicRooms",
          { body },
        )
      ).json,
  });
  const spaces = new SpaceHierarchy({
    rooms: roomStore,
    events,
    summary: (roomId) => directoryService.roomSummary(roomId),
    remote: async (server, roomId, suggestedOnly) => {
      const path = `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}`;
      const query = { suggested_only: String(suggestedOnly) };
      return (await federationClient("Walking other servers' spaces").request(server, "GET", path, { query }))
        .json;
    },
  });

  // Push rules changes are mirrored into the `m.push_rules` account data (set once `reads` exists).
  let accountData: ReadModule["accountData"] | undefined;
  const pushRules = new PushRulesService(db, new PushRuleStore(db), (userId, ruleset) =>
    accountData!.set(userId, undefined, "m.push_rules", ruleset),
  );
  // Our users' typing and public receipts go to the room's other servers as EDUs.
  const typing = new TypingService(roomStore, notifier, now, (roomId, userId, isTyping) => {
    if (isLocal(userId)) void sender?.enqueueRoomEdu(roomId, typingEdu(roomId, userId, isTyping));
  });
  const receipts = new ReceiptService({
    db,
    store: new ReceiptStore(db),
    events,
    rooms: roomStore,
    notifier,
    now,
    onReceipt: (r) => {
      if (!isLocal(r.userId) || r.type !== "m.read") return;
      const data = r.threadId ? { ts: r.ts, thread_id: r.threadId } : { ts: r.ts };
      void sender?.enqueueRoomEdu(r.roomId, receiptEdu(r.roomId, r.userId, r.eventId, data));
    },
  });
  const unread = new UnreadCounter({
    events,
    rooms: roomStore,
    ruleset: (userId) => pushRules.ruleset(userId),
    readUpTo: (roomId, userId) => receipts.readUpTo(roomId, userId),
    readUpToIn: (roomId, userId, threadId) => receipts.readUpToIn(roomId, userId, threadId),
  });
  await receipts.start();
  // Outbound HTTPS besides federation (push gateways; identity servers later): one client, which
  // trusts Node's CAs and the operator's (`federation_ca`).
  const outboundCas = trustedCas(config.federation.caFile);
  const outbound = createOutboundHttp(outboundCas ? { ca: outboundCas } : {});
  // Pushers: notifications to push gateways for the events users' rules say notify for.
  pushers = new PusherService({
    db,
    store: new PusherStore(db),
    events,
    rooms: roomStore,
    logger,
    now,
    isLocal,
    ruleset: (userId) => pushRules.ruleset(userId),
    unreadCount: async (userId, roomId) => {
      const m = await roomStore.membership(userId, roomId);
      const counts = await unread.counts(userId, roomId, m?.stream ?? 0, notifier.position("events"));
      return counts.notification_count;
    },
    post: (url, body) => outbound.postJson(url, body),
  });
  await pushers.start();
  /** Sends an EDU about a local user to every other server sharing a room with them. */
  const sendToRoomServers = async (userId: string, edu: Edu): Promise<void> => {
    if (!sender) return;
    const destinations = new Set<string>();
    for (const [roomId, m] of await roomStore.roomsOfUser(userId)) {
      if (m.membership !== "join") continue;
      for (const d of await sender.destinationsOfRoom(roomId)) destinations.add(d);
    }
    for (const d of destinations) sender.enqueueEdu(d, edu);
  };
  // Presence; our users' changes go to every server that shares a room with them.
  const presence = new PresenceService({
    serverName: config.serverName,
    db,
    store: new PresenceStore(db),
    rooms: roomStore,
    notifier,
    now,
    onLocalChange: (userId, ev) => {
      void sendToRoomServers(userId, presenceEdu([{ user_id: userId, ...ev.content }]));
    },
  });
  await presence.start();
  // To-device messages; those for other servers' users go as m.direct_to_device EDUs.
  const toDevice = new ToDeviceService({
    serverName: config.serverName,
    db,
    store: new ToDeviceStore(db),
    counters: roomStore,
    notifier,
    devicesOf: async (userId) => (await accounts.accounts.listDevices(userId)).map((d) => d.device_id),
    sendRemote: (server, edu) => sender?.enqueueEdu(server, { edu_type: "m.direct_to_device", content: edu }),
  });
  await toDevice.start();
  // Device lists: our users' changes go to every server that shares a room with them.
  const deviceLists = new DeviceListService({
    serverName: config.serverName,
    rooms: roomStore,
    notifier,
    now,
    devicesOf: (userId) => accounts.accounts.listDevices(userId),
    keysOf: (userId) => e2eKeys.localDeviceKeys(userId),
    sendRemote: (userId, updates) => {
      for (const u of updates)
        void sendToRoomServers(userId, { edu_type: "m.device_list_update", content: { ...u } });
    },
    // The member's membership in the state before the event (its `prev_content`).
    membershipBefore: async (ev, userId) => {
      if (ev.stateGroupBefore < 0) return undefined;
      const prevId = await stateGroups.entry(ev.stateGroupBefore, stateMapKey("m.room.member", userId));
      const prev = prevId !== undefined ? await events.get(prevId) : undefined;
      const m = (prev?.pdu.content as { membership?: unknown } | undefined)?.membership;
      return typeof m === "string" ? m : undefined;
    },
  });
  membershipChanged = (roomId, persisted) => {
    deviceLists
      .membershipChanged(roomId, persisted)
      .catch((err) => logger.warn({ err, roomId }, "device list tracking failed"));
  };

  // End-to-end encryption keys; other servers' users' keys are asked of their servers.
  const e2eKeys = new E2eKeyService({
    serverName: config.serverName,
    db,
    store: new E2eKeyStore(db),
    devicesOf: (userId) => accounts.accounts.listDevices(userId),
    keysChanged: (userId) => deviceLists.localChanged(userId),
    othersSigned: (signer, targets) => deviceLists.othersSigned(signer, targets),
    signingKeysChanged: (userId, keys) => {
      void sendToRoomServers(userId, {
        edu_type: "m.signing_key_update",
        content: { user_id: userId, ...keys },
      });
    },
    remote: async (server, path, body, timeoutMs) =>
      (await federationClient("Other servers' keys").request(server, "POST", path, { body, timeoutMs })).json,
  });

  // The content repository; other servers' media is fetched over federation.
  const media = new MediaService({
    serverName: config.serverName,
    store: new MediaStore(db, join(config.dataDir, "media")),
    maxUploadBytes: config.maxUploadBytes,
    now,
    fetchRemote: async (server, mediaId, timeoutMs) => {
      if (!federation) throw new MatrixError("M_NOT_FOUND", "Unknown media (no federation)");
      return fetchRemoteMedia(federation.client, server, mediaId, timeoutMs);
    },
  });

  await e2eKeys.start();

  const openId = new OpenIdService(config.serverName, now);

  // Federation (Server-Server API), when a listener is configured.
  let federation: FederationModule | undefined;
  let membership: FederatedMembership | undefined;
  let backfill: BackfillService | undefined;
  const inboundRoutes: FederationRoute[] = [];
  if (config.federation.bind) {
    federation = await federationModule({
      ...ctx,
      events,
      rooms: roomStore,
      stateGroups,
      directory,
      publicRooms: (o) => directoryService.publicRooms(o),
      profiles: accounts.accounts,
      devices: accounts.accounts,
      e2eKeys,
    });
    sender = createFederationSender({
      ...(ctx.metrics ? { metrics: ctx.metrics.federation } : {}),
      serverName: config.serverName,
      db,
      rooms: roomStore,
      events,
      client: federation.client,
      logger,
      now,
      ...(config.gossip.mode === "preferred"
        ? {
            viaGossip: (destination: string, roomId: string) =>
              gossip?.takesRoom(destination, roomId) === true,
          }
        : {}),
    });
    const inbound = new InboundService({
      serverName: config.serverName,
      pipeline,
      events,
      rooms: roomStore,
      keys: federation.keys,
      client: federation.client,
      logger,
      onContact: (origin) => sender?.markReachable(origin),
      serverAllowed: (origin, roomId) => federation!.access.serverAllowed(origin, roomId),
      edus: {
        // EDUs speak only for the sending server's own users.
        async typing(origin, content) {
          const { room_id: roomId, user_id: userId, typing: isTyping } = content;
          if (typeof roomId !== "string" || typeof userId !== "string" || !userId.endsWith(`:${origin}`))
            return;
          await typing.setTyping(userId, roomId, isTyping === true);
        },
        presence: (origin, content) => presence.applyRemote(origin, content.push),
        toDevice: (origin, content) => toDevice.receive(origin, content),
        deviceList: (origin, content) => deviceLists.remoteChanged(origin, content),
        // A remote user's cross-signing keys changed: our users re-query them.
        signingKeyUpdate: (origin, content) => deviceLists.remoteChanged(origin, content),
        async receipt(origin, content) {
          for (const [roomId, byType] of Object.entries(content)) {
            if (!(await federation!.access.serverAllowed(origin, roomId))) continue;
            const read = (byType as Record<string, unknown>)?.["m.read"];
            if (typeof read !== "object" || read === null) continue;
            for (const [userId, r] of Object.entries(
              read as Record<string, { event_ids?: unknown; data?: { thread_id?: unknown } }>,
            )) {
              const eventId = Array.isArray(r?.event_ids) ? r.event_ids[0] : undefined;
              if (!userId.endsWith(`:${origin}`) || typeof eventId !== "string") continue;
              const thread = typeof r.data?.thread_id === "string" ? r.data.thread_id : undefined;
              await receipts.send(userId, roomId, "m.read", eventId, thread);
            }
          }
        },
      },
    });
    membership = new FederatedMembership({
      serverName: config.serverName,
      signingKey,
      pipeline,
      events,
      rooms: roomStore,
      stateGroups,
      client: federation.client,
      inbound,
      logger,
      userExists: (userId) => accounts.accounts.userExists(userId),
      relay: (roomId, relayed) => {
        void sender?.enqueueRoomEvents(roomId, relayed, { relay: true });
        gossip?.relay(roomId, relayed);
      },
    });
    if (config.gossip.mode !== "off") {
      const fed = federation;
      gossip = new GossipService({
        serverName: config.serverName,
        signingKey,
        config: config.gossip,
        dataDir: config.dataDir,
        createNetwork: async (options) =>
          (await import("@hearth/federation/gossip/libp2p")).createLibp2pGossipNetwork(options),
        client: fed.client,
        keys: fed.keys,
        rooms: roomStore,
        inbound,
        serverAllowed: (server, roomId) => fed.access.serverAllowed(server, roomId),
        logger,
        now,
        // Gossip traffic is counted for the metrics (one more encoding per RPC sent).
        countTraffic: ctx.metrics !== undefined,
      });
      inboundRoutes.push(getGossipRecordRoute(gossip));
      const g = gossip;
      ctx.metrics?.observeGossip(() => g.network);
    }
    inboundRoutes.push(...membershipRoutes(inbound, membership));
    inboundRoutes.push(...federationMediaRoutes(config.serverName, media));
    inboundRoutes.push(getHierarchyRoute(spaces), openIdUserInfoRoute(openId));
    backfill = new BackfillService({
      serverName: config.serverName,
      pipeline,
      events,
      rooms: roomStore,
      client: federation.client,
      inbound,
      logger,
    });
  }
  rooms = new RoomService({
    serverName: config.serverName,
    defaultRoomVersion: config.defaultRoomVersion,
    db,
    pipeline,
    events,
    rooms: roomStore,
    directory,
    profiles: accounts.accounts,
    guests: accounts.accounts,
    ...(membership ? { federation: membership } : {}),
  });

  /** `set_presence` of a sync, on `/sync` and on the stream. */
  const setPresence = (userId: string, state: "online" | "unavailable" | "offline") =>
    presence.setLocal(userId, state, undefined, true);
  // Events become durable in stream order and the pipeline notifies after each write, so the
  // notifier's position is the highest position up to which every event is readable.
  const reads = await readModule({
    ctx,
    events,
    roomStore,
    stateGroups,
    notifier,
    formatter,
    pipelinePosition: () => notifier.position("events"),
    ephemeral: {
      receiptsPosition: () => notifier.position("receipts"),
      typingPosition: () => typing.position,
      receiptChanges: (after, upTo, inRooms, viewer) => receipts.changes(after, upTo, inRooms, viewer),
      roomReceipts: (roomId, viewer) => receipts.roomReceipts(roomId, viewer),
      typingEvent: (roomId, after, upTo) => typing.typingEvent(roomId, after, upTo),
    },
    pushRules: async (userId) => ({ global: await pushRules.ruleset(userId) }),
    unread: (userId, roomId, joinedAt, upTo) => unread.counts(userId, roomId, joinedAt, upTo),
    unreadThreads: (userId, roomId, joinedAt, upTo) => unread.threadedCounts(userId, roomId, joinedAt, upTo),
    presence: {
      position: () => presence.position,
      events: (viewer, after, upTo) =>
        presence.events(viewer, after, upTo) as unknown as Promise<Record<string, unknown>[]>,
    },
    roomPresence: (roomId, after, upTo) =>
      presence.roomEvents(roomId, after, upTo) as unknown as Promise<Record<string, unknown>[]>,
    setPresence,
    published: (roomId) => directory.isPublic(roomId),
    deviceLists: {
      position: () => deviceLists.position,
      changes: (viewer, after, upTo) => deviceLists.changes(viewer, after, upTo),
    },
    e2eKeys: (userId, deviceId) => e2eKeys.syncCounts(userId, deviceId),
    toDevice: {
      position: () => toDevice.position,
      forSync: (userId, deviceId, since, upTo, acknowledged) =>
        toDevice.forSync(userId, deviceId, since, upTo, acknowledged),
    },
    ...(backfill ? { backfill: (roomId: string, limit: number) => backfill!.backfill(roomId, limit) } : {}),
    relations,
    search: searchIndex,
  });
  accountData = reads.accountData;
  if (config.wsSync) {
    wsSync = new WsSyncStreams({
      auth: accounts.authenticator,
      sync: reads.sync,
      notifier,
      filters: reads.filters,
      setPresence,
      logger,
      ...(ctx.wsSync ? { options: ctx.wsSync } : {}),
    });
  }

  // The fully-read marker is room account data the server sets for the client ("Fully read markers").
  const setFullyRead = async (userId: string, roomId: string, eventId: string) => {
    if ((await roomStore.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    }
    const ev = await events.get(eventId);
    if (!ev || ev.roomId !== roomId) throw new MatrixError("M_NOT_FOUND", "Unknown event in this room");
    await reads.accountData.set(userId, roomId, "m.fully_read", { event_id: eventId });
  };

  return {
    routes: [
      ...metaRoutes(ctx),
      getHealthRoute(new HealthService({ db, store: new HealthProbeStore(db), now })),
      ...accounts.routes,
      ...roomRoutes(rooms),
      ...directoryRoutes(directoryService),
      userDirectorySearch(new UserDirectory({ rooms: roomStore, events })),
      hierarchyRoute(spaces),
      openIdTokenRoute(openId),
      ...pushRuleRoutes(pushRules),
      ...pusherRoutes(pushers),
      notificationsRoute(
        new NotificationsService({
          rooms: roomStore,
          events,
          ruleset: (userId) => pushRules.ruleset(userId),
          readUpTo: (roomId, userId) => receipts.readUpTo(roomId, userId),
          serialize: async (evs, userId) =>
            (await formatter.formatAll(evs, { userId })) as unknown as Record<string, unknown>[],
        }),
      ),
      ...miscRoutes(
        new ReportService({ db, store: new ReportStore(db), events, rooms: roomStore, logger, now }),
      ),
      ...ephemeralRoutes(typing, receipts, setFullyRead),
      ...presenceRoutes(presence),
      sendToDevice(toDevice),
      ...mediaRoutes(media, config.maxUploadBytes),
      ...roomKeyRoutes(new KeyBackupService(db, new RoomKeyStore(db))),
      ...keyRoutes({
        keys: e2eKeys,
        uia: accounts.uia,
        changes: (viewer, after, upTo) => deviceLists.changes(viewer, after, upTo),
      }),
      ...reads.routes,
    ],
    authenticator: accounts.authenticator,
    federationRoutes: federation ? [...federation.routes, ...inboundRoutes] : [],
    services: {
      rooms,
      pipeline,
      notifier,
      formatter,
      events,
      roomStore,
      stateGroups,
      sender,
      gossip,
      wsSync,
    },
    async start() {
      await sender?.start();
      // Gossip first: the record is there as soon as the federation listener answers.
      await gossip?.start();
      const started = await federation?.start(inboundRoutes);
      return started ? { federationPort: started.port } : {};
    },
    async stop() {
      // Streams first: their syncs must end before the notifier stops answering waits.
      await wsSync?.close();
      notifier.stop();
      typing.stop();
      pushers?.stop();
      await gossip?.stop();
      await federation?.stop();
      await sender?.stop();
    },
  };
}

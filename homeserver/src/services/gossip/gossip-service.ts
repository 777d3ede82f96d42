/**
 * Gossip among Hearth servers (`specs/gossip.md`; DESIGN.md, "Federation"). Each room is a gossipsub
 * topic that this server joins while any local user is joined to the room. Our own room events are
 * published to the topic's mesh; whatever arrives on a topic goes through the same inbound checks as
 * a transaction's PDU, and only what passes is relayed. Peers are Hearth servers whose signed
 * identity record we verified: libp2p connections from any other peer ID are refused. Repair is
 * anti-entropy: every server announces its forward extremities now and then (and when it joins the
 * topic), and a server that sees heads it lacks fetches them over the Server-Server API.
 *
 * Everything Matrix-specific is decided here; libp2p stays behind {@link GossipNetwork}.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AsyncVerifyKeyLookup,
  buildGossipRecord,
  decodeGossipMessage,
  encodeHeadsMessage,
  encodePduMessage,
  type FederationClient,
  GOSSIP_RECORD_PATH,
  GossipMessageError,
  type GossipNetwork,
  type GossipNetworkOptions,
  type GossipRecord,
  gossipMessageId,
  type HeadsMessage,
  type KnownVerifyKey,
  MAX_GOSSIP_MESSAGE_BYTES,
  type Pdu,
  roomTopic,
  type SigningKey,
  topicRoom,
  type Verdict,
  verifyGossipRecord,
  verifyHeads,
} from "@hearth/federation";
import type { Logger } from "pino";
import type { GossipConfig } from "../../config/config.js";
import type { StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { InboundService } from "../federation/inbound/inbound-service.js";

/** What the gossip service needs. */
export interface GossipServiceDeps {
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly config: GossipConfig;
  /** Where the libp2p key is kept (`gossip.key`). */
  readonly dataDir: string;
  /** Starts the network (the libp2p adapter in production). */
  readonly createNetwork: (options: GossipNetworkOptions) => Promise<GossipNetwork>;
  readonly client: Pick<FederationClient, "request">;
  readonly keys: { readonly lookup: AsyncVerifyKeyLookup };
  readonly rooms: Pick<RoomStore, "info" | "allRoomIds" | "membersOfRoom" | "extremities">;
  readonly inbound: Pick<InboundService, "receiveGossiped" | "catchUp">;
  /** Whether the room's server ACL lets `server` in. */
  readonly serverAllowed: (server: string, roomId: string) => Promise<boolean>;
  readonly logger: Logger;
  readonly now: () => number;
  /** Count traffic (benchmarks). */
  readonly countTraffic?: boolean;
}

/** A peer server we gossip with: its verified record. */
interface PeerServer {
  readonly record: GossipRecord;
  /** When to fetch the record again (ms since epoch). */
  readonly refreshAt: number;
  /** Dial backoff. */
  failures: number;
  nextDialAt: number;
}

/** A room whose topic we joined. */
interface Subscription {
  readonly roomVersion: string;
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  lastAnnounced: number;
  /** The timer of a scheduled answer to a request. */
  reply: ReturnType<typeof setTimeout> | undefined;
  /** Repair in progress (one at a time per room), and heads waiting for the next round. */
  repairing: Promise<void> | undefined;
  queuedHeads: Map<string, Set<string>>;
}

/** How long a record we fetched is trusted before it is fetched again (at most its validity). */
const RECORD_REFRESH_MS = 60 * 60 * 1000;
/** How long a server without a record (not a Hearth, or gossip off) is not asked again. */
const NO_RECORD_RETRY_MS = 5 * 60 * 1000;
/** How long a server that did not answer is not asked again. */
const UNREACHABLE_RETRY_MS = 15 * 1000;
/** Our record's validity; it is signed again at half of it. */
const OWN_RECORD_VALIDITY_MS = 24 * 60 * 60 * 1000;
/** How often peers of our rooms we are not connected to are dialled (with per-peer backoff). */
const MAINTAIN_INTERVAL_MS = 2_000;
/** Gossipsub heartbeat: mesh upkeep. Short, so a (re)joined server is in the mesh within a second. */
const HEARTBEAT_MS = 250;
/** Per-peer message budget: a burst of this many, refilled at a tenth of it per second. */
const PEER_BURST = 1_000;

/** The gossip service. */
export class GossipService {
  #network: GossipNetwork | undefined;
  #record: GossipRecord | undefined;
  readonly #peers = new Map<string, PeerServer>();
  readonly #serverOfPeer = new Map<string, string>();
  /** Servers without a usable record: when to ask again. */
  readonly #noRecord = new Map<string, number>();
  readonly #fetching = new Map<string, Promise<PeerServer | undefined>>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #budgets = new Map<string, { tokens: number; at: number }>();
  #maintainTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(private readonly deps: GossipServiceDeps) {}

  /** Starts the libp2p node and joins the topics of the rooms our users are in. */
  async start(): Promise<void> {
    const { config } = this.deps;
    const bind = config.bind!;
    this.#network = await this.deps.createNetwork({
      listen: bind,
      announce: config.announce.map((a) => tcpMultiaddr(a.host, a.port)),
      seed: await this.#seed(),
      meshDegree: config.meshDegree,
      heartbeatMs: HEARTBEAT_MS,
      maxMessageBytes: MAX_GOSSIP_MESSAGE_BYTES,
      allowPeer: (peerId) => this.#serverOfPeer.has(peerId),
      messageId: (topic, data) => {
        const roomId = topicRoom(topic);
        return gossipMessageId(
          topic,
          data,
          roomId ? this.#subscriptions.get(roomId)?.roomVersion : undefined,
        );
      },
      validate: (topic, data, from) => this.#validate(topic, data, from),
      onPeerConnected: (peerId) => {
        const server = this.#serverOfPeer.get(peerId);
        const peer = server ? this.#peers.get(server) : undefined;
        if (peer) peer.failures = 0;
      },
      ...(this.deps.countTraffic ? { countTraffic: true } : {}),
    });
    this.#signRecord();
    this.deps.logger.info(
      { peerId: this.#network.peerId, addresses: this.#record!.addresses, mode: config.mode },
      "gossip started",
    );
    for (const roomId of await this.deps.rooms.allRoomIds()) {
      if (await this.#hasLocalMember(roomId)) await this.#subscribe(roomId);
    }
    this.#maintainTimer = setInterval(() => void this.#maintain(), MAINTAIN_INTERVAL_MS);
    this.#maintainTimer.unref();
  }

  /** Leaves every topic and stops the node. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#maintainTimer) clearInterval(this.#maintainTimer);
    for (const sub of this.#subscriptions.values()) for (const t of sub.timers) clearTimeout(t);
    this.#subscriptions.clear();
    await this.#network?.stop();
    this.#network = undefined;
  }

  /** Our signed record (`GET` {@link GOSSIP_RECORD_PATH}); signed again when half its validity is gone. */
  record(): GossipRecord | undefined {
    if (this.#record && this.#record.valid_until_ts - this.deps.now() < OWN_RECORD_VALIDITY_MS / 2) {
      this.#signRecord();
    }
    return this.#record;
  }

  /** The libp2p node, for tests and measurements. */
  get network(): GossipNetwork | undefined {
    return this.#network;
  }

  /**
   * Whether `server` takes `roomId`'s events over gossip: it has a verified record, we are in the
   * room's topic, and its peer is too, as far as we can see (connected and subscribed). With
   * `gossip: preferred` the sender then sends it no PDU of the room over HTTP. A server that has not
   * joined the topic yet (it just joined the room), or that we cannot reach, still gets HTTP.
   */
  takesRoom(server: string, roomId: string): boolean {
    const peer = this.#peers.get(server);
    if (!peer || !this.#network || !this.#subscriptions.has(roomId)) return false;
    return this.#network.topicPeers(roomTopic(roomId)).includes(peer.record.peer_id);
  }

  /**
   * A room's newly persisted events (wired to the pipeline): ours are published; membership changes
   * join or leave the topic and introduce the servers of new members.
   */
  onPersisted(roomId: string, events: readonly StoredEvent[]): void {
    if (!this.#network || this.#stopped) return;
    void this.#onPersisted(roomId, events).catch((err) =>
      this.deps.logger.warn({ err, roomId }, "gossip: could not handle new events"),
    );
  }

  /**
   * Events we relay for others (a `send_join`, `send_leave` or `send_knock` we answered as the
   * resident server): published too, since the servers that take the room over gossip get no copy
   * over HTTP.
   */
  relay(roomId: string, events: readonly StoredEvent[]): void {
    if (!this.#network || this.#stopped) return;
    void this.#publish(
      roomId,
      events.filter((e) => !e.outlier && e.rejected === undefined),
    );
  }

  async #onPersisted(roomId: string, events: readonly StoredEvent[]): Promise<void> {
    const own = events.filter(
      (e) =>
        !e.outlier &&
        e.rejected === undefined &&
        e.softFailed !== true &&
        domainOf(e.pdu.sender) === this.deps.serverName,
    );
    const members = events.filter(
      (e) => e.pdu.type === "m.room.member" && typeof e.pdu.state_key === "string",
    );
    if (members.some((e) => domainOf(e.pdu.state_key!) === this.deps.serverName)) {
      if (await this.#hasLocalMember(roomId)) await this.#subscribe(roomId);
      else this.#unsubscribe(roomId);
    }
    if (this.#subscriptions.has(roomId)) {
      for (const e of members) {
        const server = domainOf(e.pdu.state_key!);
        const membership = (e.pdu.content as { membership?: unknown }).membership;
        if (server !== this.deps.serverName && membership === "join") void this.#introduce(server);
      }
    }
    await this.#publish(roomId, own);
  }

  async #publish(roomId: string, events: readonly StoredEvent[]): Promise<void> {
    const sub = this.#subscriptions.get(roomId);
    const network = this.#network;
    if (!sub || !network || events.length === 0) return;
    for (const e of events) {
      try {
        await network.publish(
          roomTopic(roomId),
          encodePduMessage(sub.roomVersion, JSON.parse(e.json) as Pdu),
        );
      } catch (err) {
        this.deps.logger.debug({ err, roomId, eventId: e.eventId }, "gossip: publish failed");
      }
    }
  }

  // ---- Topics ---------------------------------------------------------------------------------

  async #hasLocalMember(roomId: string): Promise<boolean> {
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join" && domainOf(userId) === this.deps.serverName) return true;
    }
    return false;
  }

  async #subscribe(roomId: string): Promise<void> {
    if (this.#subscriptions.has(roomId) || !this.#network) return;
    const info = await this.deps.rooms.info(roomId);
    if (!info || this.#subscriptions.has(roomId)) return;
    const sub: Subscription = {
      roomVersion: info.roomVersion,
      timers: new Set(),
      lastAnnounced: 0,
      reply: undefined,
      repairing: undefined,
      queuedHeads: new Map(),
    };
    this.#subscriptions.set(roomId, sub);
    this.#network.subscribe(roomTopic(roomId));
    // The servers in the room: their records, and a connection to each (that is how the mesh forms).
    for (const server of await this.#serversOf(roomId)) void this.#introduce(server);
    // Announce our heads as soon as the mesh may have formed, again a little later, then regularly:
    // whoever holds more answers with theirs, and we fetch what we missed (repair).
    const { repairIntervalMs } = this.deps.config;
    const periodic = () => {
      this.#announce(roomId);
      const t = setTimeout(periodic, repairIntervalMs * (0.75 + Math.random() / 2));
      t.unref();
      sub.timers.add(t);
    };
    for (const delay of [HEARTBEAT_MS + 50, 4 * HEARTBEAT_MS, 1500]) {
      const t = setTimeout(() => this.#announce(roomId, true), delay);
      t.unref();
      sub.timers.add(t);
    }
    const first = setTimeout(periodic, repairIntervalMs * Math.random());
    first.unref();
    sub.timers.add(first);
  }

  #unsubscribe(roomId: string): void {
    const sub = this.#subscriptions.get(roomId);
    if (!sub) return;
    for (const t of sub.timers) clearTimeout(t);
    this.#subscriptions.delete(roomId);
    this.#network?.unsubscribe(roomTopic(roomId));
  }

  async #serversOf(roomId: string): Promise<Set<string>> {
    const servers = new Set<string>();
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join") servers.add(domainOf(userId));
    }
    servers.delete(this.deps.serverName);
    servers.delete("");
    return servers;
  }

  // ---- Peers ------------------------------------------------------------------------------------

  /** Learns a server's record (if it gossips) and dials it. */
  async #introduce(server: string): Promise<void> {
    const peer = await this.#peerRecord(server);
    if (peer) await this.#dial(server, peer);
  }

  /** The verified record of `server`, fetched when unknown or due; undefined when it has none. */
  #peerRecord(server: string): Promise<PeerServer | undefined> {
    const known = this.#peers.get(server);
    const now = this.deps.now();
    if (known && known.refreshAt > now) return Promise.resolve(known);
    if ((this.#noRecord.get(server) ?? 0) > now) return Promise.resolve(known);
    let fetching = this.#fetching.get(server);
    if (!fetching) {
      fetching = this.#fetchRecord(server).finally(() => this.#fetching.delete(server));
      this.#fetching.set(server, fetching);
    }
    return fetching;
  }

  async #fetchRecord(server: string): Promise<PeerServer | undefined> {
    const now = this.deps.now();
    let body: unknown;
    try {
      body = (await this.deps.client.request(server, "GET", GOSSIP_RECORD_PATH, { timeoutMs: 5_000 })).json;
    } catch (e) {
      const status = (e as { status?: number }).status;
      // 404 / M_UNRECOGNIZED: not a Hearth, or its gossip is off. Anything else: try again soon.
      this.#noRecord.set(
        server,
        now + (status === 404 || status === 405 ? NO_RECORD_RETRY_MS : UNREACHABLE_RETRY_MS),
      );
      return this.#peers.get(server);
    }
    try {
      const record = verifyGossipRecord(body, server, await this.#keysFor(server, body), now);
      if (record.peer_id === this.#network?.peerId) throw new Error("the record names our own peer ID");
      const previous = this.#peers.get(server);
      if (previous && previous.record.peer_id !== record.peer_id) {
        this.#serverOfPeer.delete(previous.record.peer_id);
        void this.#network?.hangUp(previous.record.peer_id).catch(() => {});
      }
      // A peer ID bound to two servers keeps the first binding.
      const other = this.#serverOfPeer.get(record.peer_id);
      if (other !== undefined && other !== server)
        throw new Error(`the peer ID is already bound to ${other}`);
      const peer: PeerServer = {
        record,
        refreshAt: Math.min(record.valid_until_ts, now + RECORD_REFRESH_MS),
        failures: previous?.failures ?? 0,
        nextDialAt: 0,
      };
      this.#peers.set(server, peer);
      this.#serverOfPeer.set(record.peer_id, server);
      this.#noRecord.delete(server);
      return peer;
    } catch (e) {
      this.deps.logger.warn({ server, err: (e as Error).message }, "gossip: refused a record");
      this.#noRecord.set(server, now + UNREACHABLE_RETRY_MS);
      return undefined;
    }
  }

  /** The verify keys a signed object names for `server`, looked up (and fetched) by key ID. */
  async #keysFor(server: string, signed: unknown): Promise<Map<string, KnownVerifyKey>> {
    const out = new Map<string, KnownVerifyKey>();
    const sigs = (signed as { signatures?: Record<string, unknown> } | null)?.signatures?.[server];
    if (typeof sigs !== "object" || sigs === null) return out;
    for (const keyId of Object.keys(sigs).slice(0, 4)) {
      let key: KnownVerifyKey | undefined;
      try {
        key = await this.deps.keys.lookup(server, keyId);
      } catch {
        key = undefined;
      }
      if (key) out.set(keyId, key);
    }
    return out;
  }

  async #dial(server: string, peer: PeerServer): Promise<void> {
    const network = this.#network;
    if (!network || this.#stopped || network.connectedPeers().includes(peer.record.peer_id)) return;
    if (peer.nextDialAt > this.deps.now()) return;
    try {
      await network.dial(peer.record.peer_id, peer.record.addresses);
      peer.failures = 0;
    } catch (e) {
      peer.failures++;
      peer.nextDialAt = this.deps.now() + Math.min(30_000, 500 * 2 ** Math.min(peer.failures, 6));
      this.deps.logger.debug({ server, err: (e as Error).message }, "gossip: dial failed");
    }
  }

  /** Dials the gossiping servers of our rooms we are not connected to (each with its backoff). */
  async #maintain(): Promise<void> {
    if (!this.#network || this.#stopped) return;
    const wanted = new Set<string>();
    for (const roomId of this.#subscriptions.keys()) {
      for (const server of await this.#serversOf(roomId)) wanted.add(server);
    }
    for (const server of wanted) void this.#introduce(server);
  }

  // ---- Receiving --------------------------------------------------------------------------------

  async #validate(topic: string, data: Uint8Array, from: string): Promise<Verdict> {
    const via = this.#serverOfPeer.get(from);
    const roomId = topicRoom(topic);
    const sub = roomId ? this.#subscriptions.get(roomId) : undefined;
    if (!via) return "reject";
    if (!roomId || !sub) return "ignore";
    if (!this.#spend(from)) return "ignore";
    let message: ReturnType<typeof decodeGossipMessage>;
    try {
      message = decodeGossipMessage(topic, data);
    } catch (e) {
      if (e instanceof GossipMessageError) {
        this.deps.logger.info({ via, roomId, err: e.message }, "gossip: refused a malformed message");
        return "reject";
      }
      throw e;
    }
    if (message.type === "m.pdu") {
      const outcome = await this.deps.inbound.receiveGossiped(via, roomId, message.room_version, message.pdu);
      return outcome === "accepted" ? "accept" : outcome === "rejected" ? "reject" : "ignore";
    }
    return this.#receiveHeads(roomId, sub, message, via);
  }

  /** A per-peer token bucket: false when the peer sends more than its share. */
  #spend(peerId: string): boolean {
    const now = this.deps.now();
    const b = this.#budgets.get(peerId) ?? { tokens: PEER_BURST, at: now };
    b.tokens = Math.min(PEER_BURST, b.tokens + ((now - b.at) / 1000) * (PEER_BURST / 10));
    b.at = now;
    this.#budgets.set(peerId, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  async #receiveHeads(roomId: string, sub: Subscription, m: HeadsMessage, via: string): Promise<Verdict> {
    if (m.origin === this.deps.serverName) return "ignore";
    if (!(await this.deps.serverAllowed(m.origin, roomId))) return "reject";
    if (!verifyHeads(m, await this.#keysFor(m.origin, m), this.deps.now())) {
      this.deps.logger.info({ via, roomId, origin: m.origin }, "gossip: refused an unsigned announcement");
      return "reject";
    }
    const ours = [...(await this.deps.rooms.extremities(roomId)).keys()];
    const theirs = new Set(m.heads);
    if (ours.every((h) => theirs.has(h))) {
      // Our heads are out there (in an answer or an announcement): no need for ours.
      this.#cancelReply(sub);
    } else if (m.request === true) {
      // A server that just joined the topic lacks some of ours: answer soon, unless someone else's
      // answer covers ours first. Periodic announcements are never answered: that would make every
      // server answer every stale announcement while events flow.
      this.#reply(roomId, sub);
    }
    // We lack some of theirs: fetch them, from the relaying server first (it holds what it relays).
    const queued = sub.queuedHeads.get(m.origin) ?? new Set<string>();
    for (const h of m.heads) queued.add(h);
    sub.queuedHeads.set(m.origin, queued);
    sub.repairing ??= this.#repair(roomId, sub, via).finally(() => {
      sub.repairing = undefined;
    });
    return "accept";
  }

  /** Fetches the queued heads we lack, one round after another until none is queued. */
  async #repair(roomId: string, sub: Subscription, via: string): Promise<void> {
    while (sub.queuedHeads.size > 0 && !this.#stopped) {
      const round = [...sub.queuedHeads];
      sub.queuedHeads.clear();
      for (const [origin, heads] of round) {
        const others = [...(await this.#serversOf(roomId))].filter((s) => s !== via && s !== origin);
        const held = await this.deps.inbound.catchUp([via, origin, ...others], roomId, [...heads]);
        if (held < heads.size) {
          this.deps.logger.debug({ roomId, origin, missing: heads.size - held }, "gossip: repair incomplete");
        }
      }
    }
  }

  // ---- Announcing -------------------------------------------------------------------------------

  #announce(roomId: string, request = false): void {
    const sub = this.#subscriptions.get(roomId);
    const network = this.#network;
    if (!sub || !network || this.#stopped) return;
    sub.lastAnnounced = this.deps.now();
    void (async () => {
      const heads = [...(await this.deps.rooms.extremities(roomId)).keys()];
      if (heads.length === 0) return;
      const data = encodeHeadsMessage({
        roomId,
        origin: this.deps.serverName,
        heads,
        ts: this.deps.now(),
        request,
        key: this.deps.signingKey,
      });
      await network.publish(roomTopic(roomId), data);
    })().catch((err) => this.deps.logger.debug({ err, roomId }, "gossip: announce failed"));
  }

  /**
   * Answers a request that lacks our heads after a short random delay, at most once a second, unless
   * another server's announcement carrying all our heads arrives first ({@link #cancelReply}).
   */
  #reply(roomId: string, sub: Subscription): void {
    if (sub.reply || this.deps.now() - sub.lastAnnounced < 1_000) return;
    const t = setTimeout(
      () => {
        sub.timers.delete(t);
        sub.reply = undefined;
        this.#announce(roomId);
      },
      50 + Math.random() * 250,
    );
    t.unref();
    sub.timers.add(t);
    sub.reply = t;
  }

  #cancelReply(sub: Subscription): void {
    if (!sub.reply) return;
    clearTimeout(sub.reply);
    sub.timers.delete(sub.reply);
    sub.reply = undefined;
  }

  // ---- Our identity -----------------------------------------------------------------------------

  #signRecord(): void {
    const { config } = this.deps;
    this.#record = buildGossipRecord({
      serverName: this.deps.serverName,
      peerId: this.#network!.peerId,
      addresses: config.announce.map((a) => tcpMultiaddr(a.host, a.port)),
      validUntilTs: this.deps.now() + OWN_RECORD_VALIDITY_MS,
      key: this.deps.signingKey,
    });
  }

  /** The libp2p key's seed from `<data_dir>/gossip.key`, made on first start (a stable peer ID). */
  async #seed(): Promise<Uint8Array> {
    const path = join(this.deps.dataDir, "gossip.key");
    try {
      const seed = Buffer.from((await readFile(path, "utf8")).trim(), "base64");
      if (seed.length === 32) return seed;
      throw new Error(`${path} does not hold a 32-byte key`);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
    const seed = randomBytes(32);
    await writeFile(path, `${seed.toString("base64")}\n`, { mode: 0o600 });
    return seed;
  }
}

/** The multiaddr of a TCP address: an IPv4 or IPv6 literal, or a DNS name. */
function tcpMultiaddr(host: string, port: number): string {
  const proto = host.includes(":") ? "ip6" : /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? "ip4" : "dns";
  return `/${proto}/${host}/tcp/${port}`;
}

function domainOf(id: string): string {
  const i = id.indexOf(":");
  return i < 0 ? "" : id.slice(i + 1);
}

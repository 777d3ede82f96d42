/**
 * The event pipeline (DESIGN.md, "The event pipeline"): every event reaches a room through here.
 * Local events: build (prev_events = forward extremities, auth_events selected from current state),
 * sign, check the format and the authorization rules, persist in one atomic synced batch (event,
 * state-before reference, state group as a delta, forward extremities, timeline index, current state,
 * memberships, stream position), then notify. Events of one room are processed one at a time, in
 * order, by the room's queue.
 */
import { randomBytes } from "node:crypto";
import {
  AuthError,
  authEventTypes,
  CanonicalJsonError,
  checkEventAuth,
  checkPduFormat,
  computeEventId,
  EventTooLargeError,
  encodeBase64,
  InvalidEventError,
  MatrixError,
  type Pdu,
  parseStateMapKey,
  referenceHash,
  resolveState,
  roomIdFromCreateEvent,
  roomVersionRules,
  type SigningKey,
  signEvent,
  stateMapKey,
} from "@hearth/federation";
import type { Logger } from "pino";
import type { Database, WriteOp } from "../../storage/db.js";
import type { EventRecord, EventStore, StoredEvent } from "../../storage/events.js";
import { type RelationStore, relationOf } from "../../storage/relations.js";
import type { RoomInfo, RoomStore } from "../../storage/rooms.js";
import type { SearchIndex } from "../../storage/search.js";
import type { StateGroupStore } from "../../storage/state.js";
import type { Notifier } from "../notifier.js";

/** An event a local user asks for; the pipeline fills in the rest. */
export interface NewEvent {
  readonly type: string;
  readonly sender: string;
  readonly content: Record<string, unknown>;
  readonly state_key?: string;
  /** For `m.room.redaction`: the event redacted (top-level before v11, in content from v11). */
  readonly redacts?: string;
  /** The sender's device and transaction ID (idempotent sends, `unsigned.transaction_id`). */
  readonly txn?: { readonly deviceId: string; readonly txnId: string };
}

/** What the pipeline needs. */
export interface PipelineDeps {
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly db: Database;
  readonly events: EventStore;
  readonly stateGroups: StateGroupStore;
  readonly rooms: RoomStore;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * Called with a room's newly persisted events once they are durable, in stream order (the outbound
   * federation sender and gossip subscribe here). Must not throw.
   */
  readonly onPersisted?: (roomId: string, events: readonly StoredEvent[]) => void;
  /** The relationship index (`m.relates_to`), kept with the events when given. */
  readonly relations?: RelationStore;
  /** The full-text search index, kept with the events when given. */
  readonly search?: SearchIndex;
}

/** Most prev_events a new event references (the deepest extremities). */
const MAX_PREV_EVENTS = 10;

/** A room's state while a batch is being built (before it is written). */
interface Working {
  roomId: string;
  info: RoomInfo | undefined;
  current: Map<string, string>;
  extremities: Map<string, number>;
  pending: Map<string, StoredEvent>;
  /** Accepted events, in order; stream positions are assigned when the batch is issued. */
  accepted: Array<{
    eventId: string;
    pdu: Pdu;
    record: Omit<EventRecord, "stream">;
    membership?: string | undefined;
  }>;
  groups: Array<{ id: number; state: ReadonlyMap<string, string>; ops: WriteOp[] }>;
  redactions: Array<{ target: StoredEvent; redactionId: string }>;
  currentBefore: ReadonlyMap<string, string>;
  /** The current state group when the batch began (undefined for a new room). */
  stateGroupBefore: number | undefined;
  extremitiesBefore: Map<string, number>;
}

/** The pipeline. Create with {@link EventPipeline.open}. */
export class EventPipeline {
  readonly #deps: PipelineDeps;
  readonly #queues = new Map<string, Promise<unknown>>();
  #stream: number;
  #stateGroup: number;

  private constructor(deps: PipelineDeps, stream: number, stateGroup: number) {
    this.#deps = deps;
    this.#stream = stream;
    this.#stateGroup = stateGroup;
  }

  /** Loads the counters and returns the pipeline; publishes the events stream position. */
  static async open(deps: PipelineDeps): Promise<EventPipeline> {
    const stream = await deps.rooms.counter("events");
    const group = await deps.rooms.counter("stategroup");
    deps.notifier.setPosition("events", stream);
    return new EventPipeline(deps, stream, group);
  }

  /** The latest position of the events stream. */
  get streamPosition(): number {
    return this.#stream;
  }

  /** Runs `fn` in the room's queue: one task per room at a time, in arrival order. */
  inRoom<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(roomId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(roomId, tail);
    void tail.then(() => {
      if (this.#queues.get(roomId) === tail) this.#queues.delete(roomId);
    });
    return run;
  }

  /**
   * Creates a room: the create event (from `createContent`) then `initial` events, all written in one
   * atomic batch. Returns the room ID and the stored events.
   */
  async createRoom(
    roomVersion: string,
    creator: string,
    createContent: Record<string, unknown>,
    initial: readonly NewEvent[],
  ): Promise<{ roomId: string; events: StoredEvent[] }> {
    const rules = roomVersionRules(roomVersion);
    const now = this.#deps.now();
    const base: Record<string, unknown> = {
      type: "m.room.create",
      sender: creator,
      state_key: "",
      content: { ...createContent, room_version: roomVersion },
      origin_server_ts: now,
      depth: 1,
      prev_events: [],
      auth_events: [],
    };
    let roomId: string;
    let create: Pdu;
    if (rules.roomIdFormat === "create-event-hash") {
      create = this.#sign(base, roomVersion);
      roomId = roomIdFromCreateEvent(create, roomVersion)!;
    } else {
      roomId = `!${randomBytes(12).toString("base64url")}:${this.#deps.serverName}`;
      const withRoom: Record<string, unknown> = { ...base, room_id: roomId };
      if (rules.eventIdFormat === "server-assigned") withRoom.event_id = this.#newEventId();
      create = this.#sign(withRoom, roomVersion);
    }
    const { stored, durable } = await this.inRoom(roomId, async () => {
      if (await this.#deps.rooms.info(roomId)) throw new MatrixError("M_ROOM_IN_USE", "Room ID collision");
      const w = await this.#working(roomId);
      await this.#accept(w, create, roomVersion, undefined);
      for (const ev of initial) {
        await this.#accept(w, await this.#build(w, ev, roomVersion), roomVersion, ev.txn);
      }
      return this.#commit(w);
    });
    await durable;
    return { roomId, events: stored };
  }

  /**
   * Builds, checks and persists local events in a room, in order, in one atomic batch. An event whose
   * device already sent its transaction ID is not sent again: the earlier event is returned instead
   * (idempotent retries).
   */
  async send(roomId: string, newEvents: readonly NewEvent[]): Promise<StoredEvent[]> {
    const { stored, durable } = await this.inRoom(roomId, async () => {
      const w = await this.#working(roomId);
      if (!w.info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
      const earlier: StoredEvent[] = [];
      for (const ev of newEvents) {
        if (ev.txn) {
          const id = await this.#deps.events.eventForTransaction(ev.sender, ev.txn.deviceId, ev.txn.txnId);
          const previous = id ? await this.#deps.events.get(id) : undefined;
          if (previous) {
            earlier.push(previous);
            continue;
          }
        }
        await this.#accept(w, await this.#build(w, ev, w.info.roomVersion), w.info.roomVersion, ev.txn);
      }
      // A retry answers only once the first attempt's event is durable.
      if (w.accepted.length === 0) return { stored: earlier, durable: this.#deps.db.durable() };
      const committed = await this.#commit(w);
      return { stored: [...earlier, ...committed.stored], durable: committed.durable };
    });
    // The room's queue is free while this batch is synced: the next events of the room are built on
    // the in-memory state and their writes join the next synced batch (group commit).
    await durable;
    return stored;
  }

  async #working(roomId: string): Promise<Working> {
    const { rooms } = this.#deps;
    const info = await rooms.info(roomId);
    const current = await rooms.currentState(roomId);
    const extremities = await rooms.extremities(roomId);
    return {
      roomId,
      info,
      current: new Map(current),
      currentBefore: current,
      stateGroupBefore: info?.stateGroup,
      extremities: new Map(extremities),
      extremitiesBefore: extremities,
      pending: new Map(),
      accepted: [],
      groups: [],
      redactions: [],
    };
  }

  #newEventId(): string {
    return `$${randomBytes(18).toString("base64url")}:${this.#deps.serverName}`;
  }

  /** Hashes and signs a local event; content canonical JSON cannot carry (a float) is `M_BAD_JSON`. */
  #sign(event: Record<string, unknown>, roomVersion: string): Pdu {
    try {
      return signEvent(event, this.#deps.serverName, this.#deps.signingKey, roomVersion) as unknown as Pdu;
    } catch (e) {
      if (e instanceof CanonicalJsonError) {
        throw new MatrixError("M_BAD_JSON", `The event cannot be canonical JSON: ${e.message}`);
      }
      throw e;
    }
  }

  async #lookup(w: Working, ids: readonly string[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const p = w.pending.get(id);
      if (p) out.push(p);
      else missing.push(id);
    }
    for (const ev of await this.#deps.events.getMany(missing)) if (ev) out.push(ev);
    return out;
  }

  /** Builds and signs a local event on top of the working state. */
  async #build(w: Working, ev: NewEvent, roomVersion: string): Promise<Pdu> {
    return this.#sign(await this.#unsigned(w, ev, roomVersion), roomVersion);
  }

  /** Builds an event on top of the working state, without hashes and signatures. */
  async #unsigned(w: Working, ev: NewEvent, roomVersion: string): Promise<Record<string, unknown>> {
    const rules = roomVersionRules(roomVersion);
    const prev = [...w.extremities.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_PREV_EVENTS);
    const depth = Math.min(Math.max(0, ...prev.map(([, d]) => d)) + 1, Number.MAX_SAFE_INTEGER);
    const authIds = authEventTypes(
      { type: ev.type, sender: ev.sender, state_key: ev.state_key, content: ev.content },
      roomVersion,
    )
      .map(([t, s]) => w.current.get(stateMapKey(t, s)))
      .filter((id): id is string => id !== undefined);
    const reference = async (ids: string[]) => {
      if (rules.eventReferenceFormat === "id-only") return ids;
      const events = await this.#lookup(w, ids);
      return events.map((e) => [e.eventId, { sha256: encodeBase64(referenceHash(e.pdu, roomVersion)) }]);
    };
    const content: Record<string, unknown> = { ...ev.content };
    const event: Record<string, unknown> = {
      room_id: w.roomId,
      sender: ev.sender,
      type: ev.type,
      content,
      origin_server_ts: this.#deps.now(),
      depth,
      prev_events: await reference(prev.map(([id]) => id)),
      auth_events: await reference(authIds),
    };
    if (ev.state_key !== undefined) event.state_key = ev.state_key;
    if (ev.redacts !== undefined) {
      if (rules.redactsInContent) content.redacts = ev.redacts;
      else event.redacts = ev.redacts;
    }
    if (rules.eventIdFormat === "server-assigned") event.event_id = this.#newEventId();
    return event;
  }

  /**
   * An unsigned event built on the room's current state (for `make_join`/`make_leave`/`make_knock`:
   * the joining server fills in and signs it). v1/v2 templates carry no `event_id` (the joining server
   * chooses it).
   */
  async template(
    roomId: string,
    ev: NewEvent,
  ): Promise<{ event: Record<string, unknown>; roomVersion: string }> {
    return this.inRoom(roomId, async () => {
      const w = await this.#working(roomId);
      if (!w.info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
      const event = await this.#unsigned(w, ev, w.info.roomVersion);
      delete event.event_id;
      return { event, roomVersion: w.info.roomVersion };
    });
  }

  /** Why an event would fail auth against the room's current state, or undefined if it passes. */
  async authAgainstCurrent(roomId: string, pdu: Pdu, roomVersion: string): Promise<string | undefined> {
    const w = await this.#working(roomId);
    return this.#authAgainstState(w, pdu, computeEventId(pdu, roomVersion), roomVersion, w.current);
  }

  /**
   * Stores a membership event for a room this server has no state for — an invite received over
   * federation, or the user's rejection of one — as an outlier that still gets a stream position and
   * sets the user's membership record, so `/sync` shows it. `unsigned` extras (the invite's stripped
   * room state) are kept with the event.
   */
  async persistOutOfBand(roomId: string, roomVersion: string, pdu: Pdu): Promise<StoredEvent> {
    return this.inRoom(roomId, async () => {
      const { events, rooms, db, notifier } = this.#deps;
      const rules = roomVersionRules(roomVersion);
      const eventId = computeEventId(pdu, roomVersion);
      const target = pdu.state_key!;
      const membership = String((pdu.content as { membership?: unknown }).membership);
      const stream = ++this.#stream;
      const json = JSON.stringify(rules.eventIdFormat === "server-assigned" ? pdu : withoutEventId(pdu));
      const record: EventRecord = {
        json,
        roomId,
        stream,
        depth: pdu.depth,
        stateGroup: -1,
        stateGroupBefore: -1,
        outlier: true,
      };
      const stored: StoredEvent = { ...record, eventId, pdu: { ...pdu, event_id: eventId } };
      const written = db.write([
        ...events.insertOps(eventId, record, pdu.sender),
        ...rooms.outOfBandMembershipOps(target, roomId, { membership, eventId, stream }),
        ...rooms.counterOps("events", this.#stream),
      ]);
      events.inserted(stored);
      await written;
      notifier.notify({ stream: "events", position: stream, users: [target] });
      return stored;
    });
  }

  /**
   * Checks an event against the working state (format, authorization rules) and adds its writes to
   * the batch. Throws a MatrixError when the event is refused; nothing is written then.
   */
  async #accept(w: Working, pdu: Pdu, roomVersion: string, txn: NewEvent["txn"]): Promise<void> {
    const rules = roomVersionRules(roomVersion);
    try {
      checkPduFormat(pdu, roomVersion);
    } catch (e) {
      if (e instanceof EventTooLargeError) throw new MatrixError("M_TOO_LARGE", e.message);
      if (e instanceof InvalidEventError) throw new MatrixError("M_BAD_JSON", `Invalid event: ${e.message}`);
      throw e;
    }
    const eventId = computeEventId(pdu, roomVersion);
    const authIds = (pdu.auth_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
    // v12: the create event is not in auth_events (the room ID names it) but is part of the auth state.
    if (!rules.auth.createEventInAuthEvents && pdu.type !== "m.room.create" && w.info) {
      authIds.push(w.info.createEventId);
    }
    const authState = (await this.#lookup(w, authIds)).map((e) => e.pdu);
    try {
      checkEventAuth({ ...pdu, event_id: eventId }, authState, roomVersion);
    } catch (e) {
      if (e instanceof AuthError)
        throw new MatrixError("M_FORBIDDEN", `Not allowed: ${e.message} (rule ${e.rule})`);
      throw e;
    }

    const stateBefore = w.info?.stateGroup ?? -1;
    let stateAfter = stateBefore;
    let membership: string | undefined;
    if (typeof pdu.state_key === "string") {
      w.current.set(stateMapKey(pdu.type, pdu.state_key), eventId);
      const id = ++this.#stateGroup;
      w.groups.push({ id, state: new Map(w.current), ops: [] });
      stateAfter = id;
      const m = (pdu.content as { membership?: unknown }).membership;
      if (pdu.type === "m.room.member" && typeof m === "string") membership = m;
    }
    const json = JSON.stringify(rules.eventIdFormat === "server-assigned" ? pdu : withoutEventId(pdu));
    const record: Omit<EventRecord, "stream"> = {
      json,
      roomId: w.roomId,
      depth: pdu.depth,
      stateGroup: stateAfter,
      stateGroupBefore: stateBefore,
      ...(txn ? { txn } : {}),
    };
    const withId = { ...pdu, event_id: eventId };
    w.accepted.push({ eventId, pdu: withId, record, ...(membership ? { membership } : {}) });
    // Later events of the batch see this one (auth events, redaction targets) before it is stored.
    w.pending.set(eventId, { ...record, stream: 0, eventId, pdu: withId });
    const prevIds = (pdu.prev_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
    for (const id of prevIds) w.extremities.delete(id);
    w.extremities.set(eventId, pdu.depth);
    w.info =
      pdu.type === "m.room.create" && !w.info
        ? { roomVersion, createEventId: eventId, stateGroup: stateAfter }
        : { ...w.info!, stateGroup: stateAfter };
    if (pdu.type === "m.room.redaction") await this.#queueRedaction(w, pdu, eventId, roomVersion);
  }

  /** Applies a redaction if its target is known and the sender may redact it ("Handling redactions"). */
  async #queueRedaction(w: Working, pdu: Pdu, redactionId: string, roomVersion: string): Promise<void> {
    const rules = roomVersionRules(roomVersion);
    const target = rules.redactsInContent ? (pdu.content as { redacts?: unknown }).redacts : pdu.redacts;
    if (typeof target !== "string") return;
    const [t] = await this.#lookup(w, [target]);
    if (t && t.roomId === w.roomId && !t.redactedBy) w.redactions.push({ target: t, redactionId });
  }

  /**
   * Issues the batch's write and returns the stored events with a promise of their durability. The
   * asynchronous preparation (state groups) comes first; then, in one synchronous step, the events get
   * their stream positions, the write is issued and the caches are updated, so the order in which
   * writes become durable is the order of stream positions, and the next batch of the room builds on
   * this one at once. Syncs are notified when the write is durable.
   */
  async #commit(w: Working): Promise<{ stored: StoredEvent[]; durable: Promise<void> }> {
    return this.#issue(w, await this.#localGroupOps(w));
  }

  /** State group ops for a batch of local events: each new group is a delta against the previous. */
  async #localGroupOps(w: Working): Promise<WriteOp[]> {
    const { stateGroups } = this.#deps;
    const ops: WriteOp[] = [];
    let parent = w.stateGroupBefore;
    let previousState: ReadonlyMap<string, string> = w.currentBefore;
    for (const g of w.groups) {
      const changes = new Map<string, string>();
      for (const [k, v] of g.state) if (previousState.get(k) !== v) changes.set(k, v);
      const built = await stateGroups.newGroupOps(g.id, parent, changes);
      stateGroups.created(g.id, built.state, built.ops);
      ops.push(...built.ops);
      parent = g.id;
      previousState = g.state;
    }
    return ops;
  }

  /** Memberships of member events that enter current state without being in the batch (resolution). */
  async #outsideMemberships(w: Working): Promise<Map<string, { membership: string; stream: number }>> {
    const out = new Map<string, { membership: string; stream: number }>();
    const inBatch = new Set(w.accepted.map((a) => a.eventId));
    const ids: string[] = [];
    for (const [k, v] of w.current) {
      if (w.currentBefore.get(k) === v || inBatch.has(v) || parseStateMapKey(k)[0] !== "m.room.member")
        continue;
      ids.push(v);
    }
    for (const ev of await this.#deps.events.getMany(ids)) {
      const m = (ev?.pdu.content as { membership?: unknown } | undefined)?.membership;
      if (ev && typeof m === "string") out.set(ev.eventId, { membership: m, stream: ev.stream });
    }
    return out;
  }

  /**
   * Issues a batch's write and returns the stored events with a promise of their durability. In one
   * synchronous step the events get their stream positions, the write is issued and the caches are
   * updated, so writes become durable in stream order and the next batch of the room builds on this
   * one at once. Syncs are notified when the write is durable.
   */
  async #issue(
    w: Working,
    ops: WriteOp[],
    options: { outliersOnly?: boolean } = {},
  ): Promise<{ stored: StoredEvent[]; durable: Promise<void> }> {
    const { rooms, events, db, notifier } = this.#deps;
    const memberships = options.outliersOnly ? new Map() : await this.#outsideMemberships(w);

    // From here on, synchronous: stream positions in issue order.
    const stored: StoredEvent[] = [];
    for (const a of w.accepted) {
      const inTimeline = !a.record.outlier && !a.record.rejected;
      const stream = inTimeline ? ++this.#stream : 0;
      const record: EventRecord = { ...a.record, stream };
      ops.push(...events.insertOps(a.eventId, record, a.pdu.sender));
      const relation = inTimeline && !record.softFailed ? relationOf(a.pdu.content) : undefined;
      if (relation && this.#deps.relations) {
        const child = {
          eventId: a.eventId,
          stream,
          type: a.pdu.type,
          sender: a.pdu.sender,
          ts: a.pdu.origin_server_ts,
        };
        ops.push(...this.#deps.relations.insertOps(w.roomId, child, relation));
      }
      if (inTimeline && !record.softFailed && this.#deps.search) {
        const ev = { eventId: a.eventId, stream, type: a.pdu.type, content: a.pdu.content };
        ops.push(...this.#deps.search.insertOps(w.roomId, ev));
      }
      stored.push({ ...record, eventId: a.eventId, pdu: a.pdu });
      if (a.membership && inTimeline) memberships.set(a.eventId, { membership: a.membership, stream });
    }
    if (!options.outliersOnly) {
      ops.push(...rooms.currentStateOps(w.roomId, w.currentBefore, w.current, memberships));
      ops.push(...rooms.extremityOps(w.roomId, w.extremitiesBefore.keys(), w.extremities));
      if (w.info!.stateGroup !== w.stateGroupBefore) ops.push(...rooms.infoOps(w.roomId, w.info!));
    }
    ops.push(
      ...rooms.counterOps("events", this.#stream),
      ...rooms.counterOps("stategroup", this.#stateGroup),
    );
    for (const r of w.redactions) {
      ops.push(...events.redactOps(r.target, r.redactionId));
      // Redaction strips `m.relates_to`: the child leaves the relationship index.
      const relation = relationOf(r.target.pdu.content);
      if (relation && this.#deps.relations) ops.push(...this.#deps.relations.deleteOps(r.target, relation));
      // And its words leave the search index.
      const t = r.target;
      ops.push(
        ...(this.#deps.search?.deleteOps(w.roomId, {
          eventId: t.eventId,
          stream: t.stream,
          type: t.pdu.type,
          content: t.pdu.content,
        }) ?? []),
      );
    }
    const written = db.write(ops);
    for (const s of stored) events.inserted(s);
    for (const r of w.redactions) events.redacted(r.target, r.redactionId);
    if (!options.outliersOnly) rooms.roomChanged(w.roomId, w.current, w.info!, w.extremities);

    const position = this.#stream;
    const visible = stored.filter((s) => !s.outlier && !s.rejected && !s.softFailed);
    const users = visible.filter((s) => s.pdu.type === "m.room.member").map((s) => s.pdu.state_key!);
    const durable = written.then(() => {
      notifier.notify({ stream: "events", position, rooms: [w.roomId], users });
      this.#deps.onPersisted?.(w.roomId, stored);
    });
    return { stored, durable };
  }

  // ---------------------------------------------------------------------------------------------
  // Remote events ("Checks performed on receipt of a PDU"). The caller (the inbound federation
  // service) has already checked the format, the signatures and the content hash (redacting the event
  // if it did not match), and fetched missing auth and prev events; these methods apply the
  // authorization checks and persist. They must run inside the room's queue (`inRoom`).
  // ---------------------------------------------------------------------------------------------

  /** Whether an event is stored (as anything, outliers included). */
  async has(eventId: string): Promise<boolean> {
    return this.#deps.events.has(eventId);
  }

  /**
   * Stores events we only need as auth or state of others (outliers): each must pass the auth rules
   * against its own auth events, which must already be stored (order the input so they are); events
   * that do not are stored as rejected. Not in the timeline, not state, no extremities.
   */
  async persistOutliers(
    roomId: string,
    roomVersion: string,
    pdus: readonly Pdu[],
    knownIds?: readonly string[],
  ): Promise<void> {
    const w = await this.#working(roomId);
    const ids = knownIds ?? pdus.map((pdu) => computeEventId(pdu, roomVersion));
    const stored = await this.#deps.events.getMany(ids);
    for (const [i, pdu] of pdus.entries()) {
      const eventId = ids[i]!;
      if (stored[i] || w.pending.has(eventId)) continue;
      const rejected = await this.#authAgainstOwnAuthEvents(w, pdu, eventId, roomVersion);
      this.#stage(w, pdu, eventId, roomVersion, { outlier: true, rejected, stateBefore: -1, stateAfter: -1 });
    }
    if (w.accepted.length === 0) return;
    // Outliers are not part of the room's state, extremities or timeline: only the events are written.
    const { durable } = await this.#issue(w, [], { outliersOnly: true });
    await durable;
  }

  async #authAgainstOwnAuthEvents(
    w: Working,
    pdu: Pdu,
    eventId: string,
    roomVersion: string,
  ): Promise<string | undefined> {
    const rules = roomVersionRules(roomVersion);
    const authIds = (pdu.auth_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
    const authEvents = await this.#lookup(w, authIds);
    if (authEvents.length !== authIds.length) return "missing auth events";
    if (authEvents.some((e) => e.rejected)) return "an auth event was rejected";
    const authState = authEvents.map((e) => e.pdu);
    if (!rules.auth.createEventInAuthEvents && pdu.type !== "m.room.create") {
      const createId = roomIdToCreateEventId(pdu.room_id);
      const [create] = createId ? await this.#lookup(w, [createId]) : [];
      if (create) authState.push(create.pdu);
    }
    try {
      checkEventAuth({ ...pdu, event_id: eventId }, authState, roomVersion);
      return undefined;
    } catch (e) {
      if (e instanceof AuthError) return `rule ${e.rule}: ${e.message}`;
      return `auth check failed: ${(e as Error).message}`;
    }
  }

  /** Checks `pdu` against a state map (auth events selected from it); a reason when it fails. */
  async #authAgainstState(
    w: Working,
    pdu: Pdu,
    eventId: string,
    roomVersion: string,
    state: ReadonlyMap<string, string>,
  ): Promise<string | undefined> {
    const rules = roomVersionRules(roomVersion);
    const keys = authEventTypes(
      { type: pdu.type, sender: pdu.sender, state_key: pdu.state_key, content: pdu.content },
      roomVersion,
    );
    const ids = keys
      .map(([t, sk]) => state.get(stateMapKey(t, sk)))
      .filter((id): id is string => id !== undefined);
    if (!rules.auth.createEventInAuthEvents && pdu.type !== "m.room.create") {
      const createId = state.get(stateMapKey("m.room.create", ""));
      if (createId) ids.push(createId);
    }
    const authState = (await this.#lookup(w, ids)).map((e) => e.pdu);
    try {
      checkEventAuth({ ...pdu, event_id: eventId }, authState, roomVersion);
      return undefined;
    } catch (e) {
      if (e instanceof AuthError) return `rule ${e.rule}: ${e.message}`;
      return `auth check failed: ${(e as Error).message}`;
    }
  }

  /** The state after a stored event (for a rejected event, the state before it). */
  async #stateAfter(ev: StoredEvent): Promise<{ group: number; state: ReadonlyMap<string, string> }> {
    const group = ev.rejected ? ev.stateGroupBefore : ev.stateGroup;
    return { group, state: group >= 0 ? await this.#deps.stateGroups.state(group) : new Map() };
  }

  async #resolve(
    roomVersion: string,
    states: ReadonlyMap<string, string>[],
    w: Working,
  ): Promise<Map<string, string>> {
    if (states.length === 1) return new Map(states[0]);
    const maps = states.map((m) => new Map(m));
    return resolveState(roomVersion, maps, async (id) => {
      const [ev] = await this.#lookup(w, [id]);
      return ev?.pdu;
    });
  }

  /**
   * Accepts a remote event whose prev events are stored (or whose state before is given, from
   * `/state_ids`): auth against its auth events and the state before it (else rejected), against the
   * current state (else soft-failed), then persisted; forward extremities and the current state are
   * updated (the current state is the resolution of the states after every forward extremity).
   * Returns the outcome for the transaction's per-PDU results.
   */
  async persistRemote(
    roomId: string,
    roomVersion: string,
    pdu: Pdu,
    options: { stateBefore?: ReadonlyMap<string, string> } = {},
  ): Promise<{
    eventId: string;
    outcome: "accepted" | "rejected" | "soft-failed" | "duplicate";
    reason?: string;
  }> {
    const { stateGroups } = this.#deps;
    const eventId = computeEventId(pdu, roomVersion);
    const existing = await this.#deps.events.get(eventId);
    if (existing && !existing.outlier) return { eventId, outcome: "duplicate" };
    const w = await this.#working(roomId);
    const isCreate = pdu.type === "m.room.create";
    if (!w.info && !isCreate) {
      // Joining a room over federation: the state before our join comes from `send_join`.
      const createId = options.stateBefore?.get(stateMapKey("m.room.create", ""));
      if (!createId) throw new MatrixError("M_NOT_FOUND", "Unknown room");
      w.info = { roomVersion, createEventId: createId, stateGroup: -1 };
      w.stateGroupBefore = -1;
    }

    // State before the event: the resolution of the states after its prev events.
    let stateBefore: ReadonlyMap<string, string>;
    let groupBefore: number | undefined;
    if (options.stateBefore) {
      stateBefore = options.stateBefore;
    } else {
      const prevIds = (pdu.prev_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
      const prevs = await this.#lookup(w, prevIds);
      if (prevs.length !== prevIds.length || prevs.some((p) => p.outlier)) {
        throw new MatrixError("M_BAD_STATE", "Prev events are missing; fetch them or the state first");
      }
      const afters = await Promise.all(prevs.map((p) => this.#stateAfter(p)));
      const groups = new Set(afters.map((a) => a.group));
      if (groups.size === 1 && afters.length > 0) {
        groupBefore = afters[0]!.group;
        stateBefore = afters[0]!.state;
      } else {
        stateBefore = await this.#resolve(
          roomVersion,
          afters.map((a) => a.state),
          w,
        );
      }
    }

    let rejected = await this.#authAgainstOwnAuthEvents(w, pdu, eventId, roomVersion);
    if (!rejected && !isCreate)
      rejected = await this.#authAgainstState(w, pdu, eventId, roomVersion, stateBefore);
    // With no current state yet (our own join to a room over federation) there is nothing to soft-fail against.
    const softFailed =
      !rejected && !isCreate && w.current.size > 0
        ? (await this.#authAgainstState(w, pdu, eventId, roomVersion, w.current)) !== undefined
        : false;

    // State groups: before (reused when it is one prev's group), and after for accepted state events.
    const ops: WriteOp[] = [];
    if (groupBefore === undefined) {
      groupBefore = stateBefore.size === 0 && isCreate ? -1 : ++this.#stateGroup;
      if (groupBefore >= 0) {
        const built = await stateGroups.newGroupOps(groupBefore, undefined, new Map(), stateBefore);
        stateGroups.created(groupBefore, built.state, built.ops);
        ops.push(...built.ops);
      }
    }
    let groupAfter = groupBefore;
    let stateAfterEvent = stateBefore;
    if (!rejected && typeof pdu.state_key === "string") {
      groupAfter = ++this.#stateGroup;
      const changes = new Map([[stateMapKey(pdu.type, pdu.state_key), eventId]]);
      const built = await stateGroups.newGroupOps(
        groupAfter,
        groupBefore >= 0 ? groupBefore : undefined,
        changes,
      );
      stateGroups.created(groupAfter, built.state, built.ops);
      ops.push(...built.ops);
      stateAfterEvent = built.state;
    }

    this.#stage(w, pdu, eventId, roomVersion, {
      rejected,
      softFailed,
      stateBefore: groupBefore,
      stateAfter: groupAfter,
    });

    if (!rejected && !softFailed) {
      // Forward extremities: the event replaces its prev events.
      const prevIds = (pdu.prev_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
      for (const id of prevIds) w.extremities.delete(id);
      w.extremities.set(eventId, pdu.depth);
      // Current state: the resolution of the states after every forward extremity.
      const states: ReadonlyMap<string, string>[] = [];
      for (const id of w.extremities.keys()) {
        if (id === eventId) states.push(stateAfterEvent);
        else {
          const [ev] = await this.#lookup(w, [id]);
          if (ev) states.push((await this.#stateAfter(ev)).state);
        }
      }
      const current = await this.#resolve(roomVersion, states, w);
      w.current = current;
      if (isCreate && !w.info) w.info = { roomVersion, createEventId: eventId, stateGroup: groupAfter };
      else {
        const matches =
          current.size === stateAfterEvent.size &&
          [...current].every(([k, v]) => stateAfterEvent.get(k) === v);
        let group = groupAfter;
        if (!matches) {
          group = ++this.#stateGroup;
          const built = await stateGroups.newGroupOps(group, undefined, new Map(), current);
          stateGroups.created(group, built.state, built.ops);
          ops.push(...built.ops);
        }
        w.info = { ...w.info!, stateGroup: group };
      }
      if (pdu.type === "m.room.redaction") await this.#queueRedaction(w, pdu, eventId, roomVersion);
    }
    const { durable } = await this.#issue(w, ops);
    await durable;
    return {
      eventId,
      outcome: rejected ? "rejected" : softFailed ? "soft-failed" : "accepted",
      ...(rejected ? { reason: rejected } : {}),
    };
  }

  /**
   * Stores events fetched with `/backfill` (already verified by the caller, oldest first), older than
   * anything we hold. They enter the topological order `/messages` pages through, not the stream
   * order of `/sync`, and change neither the current state nor the forward extremities.
   *
   * Each gets the state before it, for history visibility and the auth rules: the resolution of the
   * states after its prev events when we hold them (earlier events of the batch included), the state
   * from `/state_ids` when the caller fetched it (`stateBefore`, for events whose prev events we do
   * not hold), and otherwise, as an approximation, `fallbackGroup` (the state before the oldest
   * event we held). An event must pass the auth rules against its own auth events, and against the
   * state before it when that is known; else it is kept as a rejected outlier.
   */
  async persistBackfilled(
    roomId: string,
    roomVersion: string,
    pdus: readonly Pdu[],
    fallbackGroup: number,
    stateBefore: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
  ): Promise<number> {
    const { stateGroups } = this.#deps;
    return this.inRoom(roomId, async () => {
      const w = await this.#working(roomId);
      const ops: WriteOp[] = [];
      // A new state group: `state` with `changes`, stored as a delta on `base` when there is one.
      const newGroup = async (
        state: ReadonlyMap<string, string>,
        base?: number,
        changes: ReadonlyMap<string, string> = new Map(),
      ) => {
        const group = ++this.#stateGroup;
        const built =
          base === undefined
            ? await stateGroups.newGroupOps(group, undefined, new Map(), new Map([...state, ...changes]))
            : await stateGroups.newGroupOps(group, base, changes);
        stateGroups.created(group, built.state, built.ops);
        ops.push(...built.ops);
        return { group, state: built.state };
      };
      let added = 0;
      for (const pdu of pdus) {
        const eventId = computeEventId(pdu, roomVersion);
        const existing = w.pending.get(eventId) ?? (await this.#deps.events.get(eventId));
        if (existing && !existing.outlier) continue;

        // The state before the event.
        let before: { group: number; state?: ReadonlyMap<string, string> } = { group: fallbackGroup };
        const fetched = stateBefore.get(eventId);
        const prevIds = (pdu.prev_events ?? []).map((r) => (typeof r === "string" ? r : r[0]));
        const prevs = await this.#lookup(w, prevIds);
        if (pdu.type === "m.room.create") {
          before = { group: -1, state: new Map() };
        } else if (prevIds.length > 0 && prevs.length === prevIds.length && !prevs.some((p) => p.outlier)) {
          const afters = await Promise.all(prevs.map((p) => this.#stateAfter(p)));
          if (new Set(afters.map((a) => a.group)).size === 1) before = afters[0]!;
          else
            before = await newGroup(
              await this.#resolve(
                roomVersion,
                afters.map((a) => a.state),
                w,
              ),
            );
        } else if (fetched) {
          before = await newGroup(fetched);
        }

        let rejected = await this.#authAgainstOwnAuthEvents(w, pdu, eventId, roomVersion);
        if (!rejected && before.state && pdu.type !== "m.room.create")
          rejected = await this.#authAgainstState(w, pdu, eventId, roomVersion, before.state);
        let after = before.group;
        if (!rejected && typeof pdu.state_key === "string" && before.state) {
          const changes = new Map([[stateMapKey(pdu.type, pdu.state_key), eventId]]);
          after = (await newGroup(before.state, before.group >= 0 ? before.group : undefined, changes)).group;
        }
        this.#stage(w, pdu, eventId, roomVersion, {
          rejected,
          outlier: rejected !== undefined,
          stateBefore: before.group,
          stateAfter: after,
        });
        if (!rejected) {
          const last = w.accepted[w.accepted.length - 1]!;
          last.record = { ...last.record, backfilled: true };
          delete last.membership;
          added++;
        }
      }
      if (w.accepted.length === 0) return 0;
      const { durable } = await this.#issue(w, ops, { outliersOnly: true });
      await durable;
      return added;
    });
  }

  /** Adds an event's record to a batch (no checks). */
  #stage(
    w: Working,
    pdu: Pdu,
    eventId: string,
    roomVersion: string,
    o: {
      rejected?: string | undefined;
      softFailed?: boolean;
      outlier?: boolean;
      stateBefore: number;
      stateAfter: number;
    },
  ): void {
    const rules = roomVersionRules(roomVersion);
    const json = JSON.stringify(rules.eventIdFormat === "server-assigned" ? pdu : withoutEventId(pdu));
    const record: Omit<EventRecord, "stream"> = {
      json,
      roomId: w.roomId,
      depth: pdu.depth,
      stateGroup: o.stateAfter,
      stateGroupBefore: o.stateBefore,
      ...(o.rejected ? { rejected: o.rejected } : {}),
      ...(o.softFailed ? { softFailed: true } : {}),
      ...(o.outlier ? { outlier: true } : {}),
    };
    const withId = { ...pdu, event_id: eventId };
    const m = (pdu.content as { membership?: unknown }).membership;
    const membership =
      pdu.type === "m.room.member" && typeof m === "string" && !o.rejected && !o.outlier ? m : undefined;
    w.accepted.push({ eventId, pdu: withId, record, ...(membership ? { membership } : {}) });
    w.pending.set(eventId, { ...record, stream: 0, eventId, pdu: withId });
  }
}

/** The create event ID named by a v12 room ID (`!hash` → `$hash`); undefined for other room IDs. */
function roomIdToCreateEventId(roomId: unknown): string | undefined {
  if (typeof roomId !== "string" || roomId.includes(":")) return undefined;
  return `$${roomId.slice(1)}`;
}

function withoutEventId(pdu: Pdu): Omit<Pdu, "event_id"> {
  const { event_id: _id, ...rest } = pdu;
  return rest;
}

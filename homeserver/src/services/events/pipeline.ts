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
  checkEventAuth,
  checkPduFormat,
  computeEventId,
  EventTooLargeError,
  encodeBase64,
  InvalidEventError,
  MatrixError,
  type Pdu,
  referenceHash,
  roomIdFromCreateEvent,
  roomVersionRules,
  type SigningKey,
  signEvent,
  stateMapKey,
} from "@hearth/federation";
import type { Logger } from "pino";
import type { Database, WriteOp } from "../../storage/db.js";
import type { EventRecord, EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomInfo, RoomStore } from "../../storage/rooms.js";
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
  accepted: Array<{ eventId: string; pdu: Pdu; record: Omit<EventRecord, "stream">; membership?: string }>;
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
      if (w.accepted.length === 0) return { stored: earlier, durable: Promise.resolve() };
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

  #sign(event: Record<string, unknown>, roomVersion: string): Pdu {
    return signEvent(event, this.#deps.serverName, this.#deps.signingKey, roomVersion) as unknown as Pdu;
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
    return this.#sign(event, roomVersion);
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
    const { rooms, stateGroups, events, db, notifier } = this.#deps;
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

    // From here on, synchronous: stream positions in issue order.
    const stored: StoredEvent[] = [];
    const memberships = new Map<string, { membership: string; stream: number }>();
    for (const a of w.accepted) {
      const stream = ++this.#stream;
      const record: EventRecord = { ...a.record, stream };
      ops.push(...events.insertOps(a.eventId, record, a.pdu.sender));
      stored.push({ ...record, eventId: a.eventId, pdu: a.pdu });
      if (a.membership) memberships.set(a.eventId, { membership: a.membership, stream });
    }
    ops.push(...rooms.currentStateOps(w.roomId, w.currentBefore, w.current, memberships));
    ops.push(...rooms.extremityOps(w.roomId, w.extremitiesBefore.keys(), w.extremities));
    if (w.info!.stateGroup !== w.stateGroupBefore) ops.push(...rooms.infoOps(w.roomId, w.info!));
    ops.push(
      ...rooms.counterOps("events", this.#stream),
      ...rooms.counterOps("stategroup", this.#stateGroup),
    );
    for (const r of w.redactions) ops.push(...events.redactOps(r.target, r.redactionId));
    const written = db.write(ops);
    for (const s of stored) events.inserted(s);
    for (const r of w.redactions) events.redacted(r.target, r.redactionId);
    rooms.roomChanged(w.roomId, w.current, w.info!, w.extremities);

    const position = this.#stream;
    const users = stored.filter((s) => s.pdu.type === "m.room.member").map((s) => s.pdu.state_key!);
    const durable = written.then(() => {
      notifier.notify({ stream: "events", position, rooms: [w.roomId], users });
      this.#deps.onPersisted?.(w.roomId, stored);
    });
    return { stored, durable };
  }
}

function withoutEventId(pdu: Pdu): Omit<Pdu, "event_id"> {
  const { event_id: _id, ...rest } = pdu;
  return rest;
}

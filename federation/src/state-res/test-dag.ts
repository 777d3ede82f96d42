/**
 * A builder of unsigned event DAGs for state resolution tests and benchmarks. Events carry
 * `event_id` (readable names, except the v12 create event, whose ID must be its reference hash since
 * the room ID names it), `auth_events` chosen from the state before the event by the auth events
 * selection, `prev_events` from the fork's heads, increasing `depth` and `origin_server_ts`.
 *
 * Not used by production code.
 */
import { checkEventAuth } from "../auth/index.js";
import { authEventTypes } from "../auth/selection.js";
import { computeEventId } from "../events/event-id.js";
import { stateMapKey } from "../events/state-map-key.js";
import type { EventReference, JsonObject, Pdu } from "../events/types.js";
import { roomVersionRules } from "../room-versions/index.js";
import { resolveState } from "./resolve.js";

/** Test users. */
export const ALICE = "@alice:example.org";
/** Test users. */
export const BOB = "@bob:example.org";
/** Test users. */
export const CHARLIE = "@charlie:example.org";
/** Test users. */
export const ZARA = "@zara:example.org";
/** Test users. */
export const EVELYN = "@evelyn:example.org";

/** One event to add. */
export interface EventSpec {
  /** A readable name; the event ID is made from it. Default: a counter. */
  readonly id?: string;
  readonly type: string;
  readonly sender: string;
  /** Absent for a message event. */
  readonly stateKey?: string;
  readonly content?: JsonObject;
  /** Default: one more than the previous event's. */
  readonly ts?: number;
}

/** A room's event graph and a store to fetch its events from. */
export class TestDag {
  readonly roomVersion: string;
  /** Every event, by ID. */
  readonly events = new Map<string, Pdu>();
  /** Names given in {@link EventSpec.id}, mapped to event IDs. */
  readonly ids = new Map<string, string>();
  /** Events the builder let through although they fail auth against their auth events. */
  readonly rejected = new Set<string>();
  roomId = "!room:example.org";
  #ts = 0;
  #counter = 0;

  constructor(roomVersion: string) {
    this.roomVersion = roomVersion;
  }

  /** The `fetchEvent` callback over this DAG. */
  readonly fetch = (eventId: string): Pdu | undefined => this.events.get(eventId);

  /** The event ID of a named event. */
  id(name: string): string {
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`no event named ${name}`);
    return id;
  }

  /**
   * Creates an event on top of `state` (the state before it) with `prev_events` = `prev`, checks it
   * against its auth events (throwing if it fails, unless `allowRejected`), and stores it.
   */
  add(
    spec: EventSpec,
    state: ReadonlyMap<string, string>,
    prev: readonly string[],
    allowRejected = false,
  ): string {
    const rules = roomVersionRules(this.roomVersion);
    const content = spec.content ?? {};
    const authIds: string[] = [];
    if (spec.type !== "m.room.create") {
      const selection = authEventTypes(
        { type: spec.type, sender: spec.sender, state_key: spec.stateKey, content },
        this.roomVersion,
      );
      for (const [type, stateKey] of selection) {
        const id = state.get(stateMapKey(type, stateKey));
        if (id !== undefined) authIds.push(id);
      }
    }
    const ref = (id: string): EventReference =>
      rules.eventReferenceFormat === "id-and-hash" ? [id, { sha256: "AAAA" }] : id;
    const depth = Math.max(0, ...prev.map((p) => this.events.get(p)?.depth ?? 0)) + 1;
    this.#ts = spec.ts ?? this.#ts + 1;
    const event: Pdu = {
      type: spec.type,
      sender: spec.sender,
      content,
      origin_server_ts: this.#ts,
      depth,
      prev_events: prev.map(ref),
      auth_events: authIds.map(ref),
    };
    if (spec.stateKey !== undefined) event.state_key = spec.stateKey;
    let id: string;
    if (spec.type === "m.room.create" && rules.roomIdFormat === "create-event-hash") {
      id = computeEventId(event, this.roomVersion);
      this.roomId = "!" + id.slice(1);
    } else {
      event.room_id = this.roomId;
      const name = spec.id ?? `e${++this.#counter}`;
      id = rules.eventIdFormat === "server-assigned" ? `$${name}:example.org` : `$${name}`;
    }
    event.event_id = id;
    if (this.events.has(id)) throw new Error(`duplicate event ${id}`);
    if (spec.id !== undefined) this.ids.set(spec.id, id);

    const authEvents: Pdu[] = authIds.map((a) => this.events.get(a)!);
    if (!rules.auth.createEventInAuthEvents && spec.type !== "m.room.create") {
      const createId = "$" + this.roomId.slice(1);
      authEvents.push(this.events.get(createId)!);
    }
    try {
      checkEventAuth(event, authEvents, this.roomVersion);
    } catch (error) {
      if (!allowRejected) throw new Error(`test event ${spec.id ?? id} fails auth: ${String(error)}`);
      this.rejected.add(id);
    }
    this.events.set(id, event);
    return id;
  }

  /**
   * Creates a room: the create event, the creator's join, power levels (creator 100 unless
   * `powerLevels` says otherwise), public join rules, then a join for each of `members`. The events
   * are named CREATE, IMA, IPOWER, IJR and IM + the member's localpart in capitals (IMBOB).
   * Returns the fork at its end.
   */
  static createRoom(
    roomVersion: string,
    options: { creator?: string; members?: readonly string[]; powerLevels?: JsonObject } = {},
  ): { dag: TestDag; main: Fork } {
    const dag = new TestDag(roomVersion);
    const creator = options.creator ?? ALICE;
    const rules = roomVersionRules(roomVersion);
    const createContent: JsonObject = { room_version: roomVersion };
    if (rules.auth.creators === "content-creator") createContent.creator = creator;
    const main = new Fork(dag, new Map(), []);
    main.send({ id: "CREATE", type: "m.room.create", sender: creator, stateKey: "", content: createContent });
    main.send({
      id: "IMA",
      type: "m.room.member",
      sender: creator,
      stateKey: creator,
      content: { membership: "join" },
    });
    const users: JsonObject =
      rules.auth.creators === "create-sender-and-additional-infinite" ? {} : { [creator]: 100 };
    main.send({
      id: "IPOWER",
      type: "m.room.power_levels",
      sender: creator,
      stateKey: "",
      content: options.powerLevels ?? { users },
    });
    main.send({
      id: "IJR",
      type: "m.room.join_rules",
      sender: creator,
      stateKey: "",
      content: { join_rule: "public" },
    });
    // Named IM + the localpart in capitals: IMBOB for @bob:example.org.
    for (const member of options.members ?? [])
      main.join(member, `IM${member.slice(1).split(":")[0]!.toUpperCase()}`);
    return { dag, main };
  }
}

/**
 * A branch of the DAG: the state after its last event and its heads. Sending extends the branch;
 * {@link Fork.fork} copies it so two branches can diverge.
 */
export class Fork {
  constructor(
    readonly dag: TestDag,
    /** The state after the branch's heads. */
    public state: Map<string, string>,
    /** The branch's forward extremities. */
    public heads: string[],
  ) {}

  /** A copy of this branch; sending on one does not affect the other. */
  fork(): Fork {
    return new Fork(this.dag, new Map(this.state), [...this.heads]);
  }

  /** Adds an event on this branch and returns its ID. */
  send(spec: EventSpec, allowRejected = false): string {
    const id = this.dag.add(spec, this.state, this.heads, allowRejected);
    if (spec.stateKey !== undefined && !this.dag.rejected.has(id)) {
      this.state.set(stateMapKey(spec.type, spec.stateKey), id);
    }
    this.heads = [id];
    return id;
  }

  /** `user` joins (sending their own join). */
  join(user: string, id?: string): string {
    return this.send({
      id,
      type: "m.room.member",
      sender: user,
      stateKey: user,
      content: { membership: "join" },
    });
  }

  /**
   * A branch whose heads are the heads of all `forks`, with their states resolved ("the room state
   * S(E) before E is the resolution of the states after its prev_events").
   */
  static async merge(forks: readonly Fork[]): Promise<Fork> {
    const dag = forks[0]!.dag;
    const state = await resolveState(
      dag.roomVersion,
      forks.map((f) => f.state),
      dag.fetch,
    );
    return new Fork(dag, state, [...new Set(forks.flatMap((f) => f.heads))]);
  }
}

/** The state map key of `(type, stateKey)` (re-exported for tests). */
export const key = stateMapKey;

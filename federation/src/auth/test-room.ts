/**
 * A small room builder for the authorization rule tests: plain event objects with `event_id` set,
 * auth events chosen from the builder's state with {@link authEventTypes}.
 */
import { computeEventId } from "../events/event-id.js";
import { stateMapKey } from "../events/state-map-key.js";
import { roomVersionRules } from "../room-versions/index.js";
import { AuthError } from "./auth-error.js";
import { type CheckEventAuthOptions, checkEventAuth } from "./check.js";
import { domainOf } from "./identifiers.js";
import { authEventTypes } from "./selection.js";

/** A test event: a plain JSON-like object. */
export type TestEvent = Record<string, unknown> & {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  state_key?: string;
};

/** Test users, one per server. */
export const ALICE = "@alice:a.test";
/** Test user on b.test. */
export const BOB = "@bob:b.test";
/** Test user on c.test. */
export const CAROL = "@carol:c.test";
/** Test user on d.test. */
export const DAVE = "@dave:d.test";

/** What a new test event may set; the rest is filled in. */
export interface EventSpec {
  type: string;
  sender: string;
  state_key?: string;
  content?: Record<string, unknown>;
  prev_events?: string[];
  [key: string]: unknown;
}

/**
 * The rule an authorization check fails with, or `"allowed"`. Errors other than {@link AuthError}
 * propagate.
 */
export function ruleOf(check: () => void): string {
  try {
    check();
    return "allowed";
  } catch (e) {
    if (e instanceof AuthError) return e.rule;
    throw e;
  }
}

/** A room under construction: its state, its latest event, and helpers to add events. */
export class TestRoom {
  /** The current state, keyed by {@link stateMapKey}. */
  readonly state = new Map<string, TestEvent>();
  /** The `m.room.create` event. */
  readonly create: TestEvent;
  /** The room ID. */
  readonly roomId: string;
  #last: string;
  #counter = 0;

  /**
   * Creates the room: an `m.room.create` event by `creator` (with `content.creator` in versions that
   * require it, plus `createContent`). No other events.
   */
  constructor(
    readonly version: string,
    creator = ALICE,
    createContent: Record<string, unknown> = {},
  ) {
    const rules = roomVersionRules(version);
    const content: Record<string, unknown> = { room_version: version, ...createContent };
    if (rules.auth.createRequiresCreator && !("creator" in createContent)) content.creator = creator;
    const create: TestEvent = {
      type: "m.room.create",
      sender: creator,
      state_key: "",
      content,
      prev_events: [],
      auth_events: [],
      depth: 1,
      origin_server_ts: 1_000,
    };
    if (rules.roomIdFormat === "create-event-hash") {
      const id = computeEventId(create, version);
      create.event_id = id;
      this.roomId = `!${id.slice(1)}`;
    } else {
      this.roomId = `!room:${domainOf(creator)}`;
      create.room_id = this.roomId;
      create.event_id = this.#newId(creator);
    }
    this.create = create;
    this.state.set(stateMapKey("m.room.create", ""), create);
    this.#last = create.event_id as string;
  }

  /**
   * A standard room: create by `creator`, creator joins, power levels (`users` gives the creator 100
   * in v1–v11; v12 creators are not listed), join rules `joinRule`. `powerLevels` is merged over that
   * content.
   */
  static standard(
    version: string,
    options: { joinRule?: string; powerLevels?: Record<string, unknown>; creator?: string } = {},
  ): TestRoom {
    const creator = options.creator ?? ALICE;
    const room = new TestRoom(version, creator);
    room.send({
      type: "m.room.member",
      sender: creator,
      state_key: creator,
      content: { membership: "join" },
    });
    const infinite = roomVersionRules(version).auth.creators === "create-sender-and-additional-infinite";
    room.send({
      type: "m.room.power_levels",
      sender: creator,
      state_key: "",
      content: { users: infinite ? {} : { [creator]: 100 }, ...options.powerLevels },
    });
    room.send({
      type: "m.room.join_rules",
      sender: creator,
      state_key: "",
      content: { join_rule: options.joinRule ?? "public" },
    });
    return room;
  }

  #newId(sender: string): string {
    this.#counter++;
    return `$e${this.#counter}:${domainOf(sender)}`;
  }

  /** The ID of a state event of the room state. */
  idOf(type: string, stateKey = ""): string {
    const ev = this.state.get(stateMapKey(type, stateKey));
    if (!ev) throw new Error(`no state (${type}, ${stateKey})`);
    return ev.event_id as string;
  }

  /** A new event on top of the room (not yet applied), with auth events selected from the state. */
  event(spec: EventSpec): TestEvent {
    const rules = roomVersionRules(this.version);
    const { prev_events, content, ...rest } = spec;
    const ev: TestEvent = {
      room_id: this.roomId,
      content: content ?? {},
      depth: 2 + this.#counter,
      origin_server_ts: 1_000 + this.#counter,
      signatures: { [domainOf(spec.sender) ?? "x"]: { "ed25519:k": "sig" } },
      ...rest,
      event_id: this.#newId(spec.sender),
      prev_events: [],
      auth_events: [],
    };
    const ref = (id: string): unknown =>
      rules.eventReferenceFormat === "id-and-hash" ? [id, { sha256: "h" }] : id;
    ev.prev_events = (prev_events ?? [this.#last]).map(ref);
    ev.auth_events = this.authEventsFor(ev)
      .filter((e) => e.type !== "m.room.create" || rules.auth.createEventInAuthEvents)
      .map((e) => ref(e.event_id as string));
    return ev;
  }

  /**
   * The state events `checkEventAuth` gets for `ev`: those of {@link authEventTypes} present in the
   * state, plus (v12) the create event.
   */
  authEventsFor(ev: TestEvent): TestEvent[] {
    const out: TestEvent[] = [];
    for (const [type, stateKey] of authEventTypes(ev, this.version)) {
      const found = this.state.get(stateMapKey(type, stateKey));
      if (found) out.push(found);
    }
    if (!roomVersionRules(this.version).auth.createEventInAuthEvents) out.push(this.create);
    return out;
  }

  /** Checks `ev` against the current state; the failed rule, or `"allowed"`. */
  check(ev: TestEvent, options?: CheckEventAuthOptions, authEvents?: object[]): string {
    return ruleOf(() => checkEventAuth(ev, authEvents ?? this.authEventsFor(ev), this.version, options));
  }

  /** Adds an event (which must pass auth) to the room. */
  apply(ev: TestEvent): TestEvent {
    const rule = this.check(ev);
    if (rule !== "allowed")
      throw new Error(`test setup: ${ev.type} by ${ev.sender} rejected by rule ${rule}`);
    if (typeof ev.state_key === "string") this.state.set(stateMapKey(ev.type, ev.state_key), ev);
    this.#last = ev.event_id as string;
    return ev;
  }

  /** {@link event} then {@link apply}. */
  send(spec: EventSpec): TestEvent {
    return this.apply(this.event(spec));
  }

  /** Sets a member event directly (without auth), e.g. to prepare a ban or an invite. */
  force(spec: EventSpec): TestEvent {
    const ev = this.event(spec);
    if (typeof ev.state_key === "string") this.state.set(stateMapKey(ev.type, ev.state_key), ev);
    this.#last = ev.event_id as string;
    return ev;
  }

  /** Shorthand: `user` joins (auth checked). */
  join(user: string, content: Record<string, unknown> = {}): TestEvent {
    return this.send({
      type: "m.room.member",
      sender: user,
      state_key: user,
      content: { membership: "join", ...content },
    });
  }

  /** Shorthand for a membership event to be checked, not applied. */
  member(
    sender: string,
    target: string,
    membership: string,
    content: Record<string, unknown> = {},
  ): TestEvent {
    return this.event({
      type: "m.room.member",
      sender,
      state_key: target,
      content: { membership, ...content },
    });
  }
}

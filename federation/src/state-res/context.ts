/**
 * What one state resolution run shares between its steps: the room version's rules, the event
 * loader, the rejection oracle and the room's create event.
 */
import { stateMapKey } from "../events/state-map-key.js";
import type { RoomVersionRules } from "../room-versions/index.js";
import type { AuthChainDifferenceFn } from "./auth-chain.js";
import type { EventLoader, StateResEvent } from "./event-loader.js";
import { stateKeyOf } from "./event-loader.js";

/** Options of {@link resolveState} beyond the fixed arguments. */
export interface ResolveStateOptions {
  /**
   * Whether an event was rejected (failed the authorization rules against its auth events or the
   * state before it). Rejected events are never used as auth events in the iterative auth checks
   * ("Rejected events"). Default: no event is known to be rejected.
   */
  readonly isRejected?: (eventId: string) => boolean;
  /**
   * Computes the auth difference from precomputed auth chains (e.g. an auth-chain index) instead of
   * walking `auth_events` through `fetchEvent`. Must follow the semantics of
   * {@link authChainDifference}.
   */
  readonly authChainDifference?: AuthChainDifferenceFn;
}

/** The key of `m.room.create` in state maps. */
export const CREATE_KEY = stateMapKey("m.room.create", "");
/** The key of `m.room.power_levels` in state maps. */
export const POWER_LEVELS_KEY = stateMapKey("m.room.power_levels", "");

/** Shared state of one resolution. */
export interface ResolutionContext {
  readonly roomVersion: string;
  readonly rules: RoomVersionRules;
  readonly loader: EventLoader;
  readonly isRejected: (eventId: string) => boolean;
  /** The room's create event ID, when known (from the state sets or, in v12, the room ID). */
  readonly createEventId: string | undefined;
}

/** The state map key of a loaded event, or `undefined` if it is not a state event. */
export function keyOfEvent(event: StateResEvent): string | undefined {
  const pair = stateKeyOf(event);
  return pair ? stateMapKey(pair[0], pair[1]) : undefined;
}

/**
 * Finds the room's create event ID: the `m.room.create` entry the state sets agree on or, failing
 * that, in versions whose room ID is the create event's hash, `$` + the room ID without its sigil.
 */
export function findCreateEventId(
  stateSets: ReadonlyArray<ReadonlyMap<string, string>>,
  rules: RoomVersionRules,
  someEvent: StateResEvent | undefined,
): string | undefined {
  const ids = new Set<string>();
  for (const s of stateSets) {
    const id = s.get(CREATE_KEY);
    if (id !== undefined) ids.add(id);
  }
  if (ids.size === 1) return [...ids][0];
  if (rules.roomIdFormat === "create-event-hash" && typeof someEvent?.room_id === "string") {
    return "$" + someEvent.room_id.slice(1);
  }
  return undefined;
}

/**
 * The `m.room.power_levels` and `m.room.create` events among an event's (loaded) auth events. In
 * versions whose events do not cite the create event (v12), the room's create event is used.
 */
export function authPowerContext(
  ctx: ResolutionContext,
  eventId: string,
): { powerLevels: StateResEvent | undefined; create: StateResEvent | undefined } {
  let powerLevels: StateResEvent | undefined;
  let create: StateResEvent | undefined;
  for (const aid of ctx.loader.authIds(eventId)) {
    const auth = ctx.loader.get(aid);
    if (auth?.state_key !== "") continue;
    if (auth.type === "m.room.power_levels") powerLevels ??= auth;
    else if (auth.type === "m.room.create") create ??= auth;
  }
  if (!create && !ctx.rules.auth.createEventInAuthEvents && ctx.createEventId !== undefined) {
    create = ctx.loader.get(ctx.createEventId);
  }
  // The create event itself cites nothing; its sender is the creator.
  if (!create && ctx.loader.get(eventId)?.type === "m.room.create") create = ctx.loader.get(eventId);
  return { powerLevels, create };
}

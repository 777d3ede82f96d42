/**
 * State resolution v2 (room versions 2–11, "State resolution" in rooms/v2) and v2.1 (room version 12,
 * rooms/v12), which differ in two places, both read from `rules.stateResolution`:
 * - v2.1 step 2 starts the iterative auth checks from an empty state map;
 * - v2.1's full conflicted set also holds the conflicted state subgraph.
 */

import { stateMapKey } from "../events/state-map-key.js";
import { authSelection, isAllowed, senderPowerLevel } from "./auth-adapter.js";
import { type AuthChainDifferenceFn, authChainDifference, conflictedStateSubgraph } from "./auth-chain.js";
import {
  authPowerContext,
  CREATE_KEY,
  keyOfEvent,
  POWER_LEVELS_KEY,
  type ResolutionContext,
} from "./context.js";
import { MissingStateEventError } from "./errors.js";
import { compareCodePoints, originServerTs, type StateResEvent } from "./event-loader.js";
import { lexicographicalTopologicalSort } from "./topological-sort.js";

/**
 * Splits state sets into the unconflicted state map and the conflicted state set ("Unconflicted
 * state map and conflicted state set"): a key is unconflicted iff every set has it, with the same
 * event ID. A key missing from some set is conflicted.
 */
export function partitionStateSets(stateSets: ReadonlyArray<ReadonlyMap<string, string>>): {
  unconflicted: Map<string, string>;
  conflicted: Map<string, Set<string>>;
} {
  const unconflicted = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  if (stateSets.length === 0) return { unconflicted, conflicted };
  const keys = new Set<string>();
  for (const s of stateSets) for (const k of s.keys()) keys.add(k);
  for (const key of keys) {
    const first = stateSets[0]!.get(key);
    let same = first !== undefined;
    for (let i = 1; same && i < stateSets.length; i++) same = stateSets[i]!.get(key) === first;
    if (same) {
      unconflicted.set(key, first!);
    } else {
      const ids = new Set<string>();
      for (const s of stateSets) {
        const id = s.get(key);
        if (id !== undefined) ids.add(id);
      }
      conflicted.set(key, ids);
    }
  }
  return { unconflicted, conflicted };
}

/**
 * Whether an event is a power event ("Power events"): `m.room.power_levels`, `m.room.join_rules`,
 * or an `m.room.member` with `leave` or `ban` sent by someone other than its target. State events
 * only (a state key is required).
 */
export function isPowerEvent(event: StateResEvent): boolean {
  if (typeof event.state_key !== "string") return false;
  switch (event.type) {
    case "m.room.power_levels":
    case "m.room.join_rules":
      return event.state_key === "";
    // NOTSPEC: as Synapse and ruma do (agreeing with them is what makes states converge): the types
    // above count only with an empty state key, and m.room.create (absent from the spec's list) is a
    // power event too. Either only matters for events no well-behaved server conflicts on.
    case "m.room.create":
      return event.state_key === "";
    case "m.room.member": {
      const membership = (event.content as { membership?: unknown } | undefined)?.membership;
      return (membership === "leave" || membership === "ban") && event.sender !== event.state_key;
    }
    default:
      return false;
  }
}

/**
 * The iterative auth checks ("Iterative auth checks"): applies each event of `events`, in order, to
 * `state` (mutated and returned) if it passes the authorization rules. The auth state of each event is
 * its own non-rejected `auth_events`, keyed by `(type, state_key)`, with every key of its auth events
 * selection replaced by the current `state` entry when that exists and is not rejected. In versions
 * whose events do not cite the create event (v12), the room's create event is added.
 *
 * Events that are missing, rejected-as-auth, or not state events are skipped.
 */
export async function iterativeAuthChecks(
  ctx: ResolutionContext,
  events: readonly string[],
  state: Map<string, string>,
): Promise<Map<string, string>> {
  const { loader, roomVersion, isRejected } = ctx;
  await loader.load(events);
  await loader.loadAuthEvents(events);
  for (const eventId of events) {
    const event = loader.get(eventId);
    if (!event) continue;
    const key = keyOfEvent(event);
    if (key === undefined) continue;

    const authState = new Map<string, StateResEvent>();
    for (const aid of loader.authIds(eventId)) {
      const auth = loader.get(aid);
      if (!auth || isRejected(aid)) continue;
      const authKey = keyOfEvent(auth);
      if (authKey !== undefined) authState.set(authKey, auth);
    }
    const selection = authSelection(event, roomVersion);
    const fromState: string[] = [];
    for (const [type, stateKey] of selection) {
      const id = state.get(stateMapKey(type, stateKey));
      if (id !== undefined && !loader.has(id)) fromState.push(id);
    }
    if (fromState.length > 0) await loader.load(fromState);
    for (const [type, stateKey] of selection) {
      const selKey = stateMapKey(type, stateKey);
      const id = state.get(selKey);
      if (id === undefined || isRejected(id)) continue;
      const current = loader.get(id);
      if (current) authState.set(selKey, current);
    }
    if (
      !ctx.rules.auth.createEventInAuthEvents &&
      !authState.has(CREATE_KEY) &&
      ctx.createEventId !== undefined
    ) {
      await loader.load([ctx.createEventId]);
      const create = loader.get(ctx.createEventId);
      if (create) authState.set(CREATE_KEY, create);
    }

    if (isAllowed(event, [...authState.values()], roomVersion)) state.set(key, eventId);
  }
  return state;
}

/**
 * Sorts events by the reverse topological power ordering ("Reverse topological power ordering"):
 * Kahn's algorithm over the `auth_events` DAG, taking at each step the event whose sender has the
 * greatest power level (per its own auth events), then the smallest `origin_server_ts`, then the
 * smallest `event_id`.
 *
 * The graph is `events` plus the events reachable from them through auth events that are in
 * `within` (the full conflicted set); like Synapse and ruma, the walk does not pass through events
 * outside `within`. Returns the sorted IDs of every node of that graph.
 */
export async function reverseTopologicalPowerSort(
  ctx: ResolutionContext,
  events: Iterable<string>,
  within: ReadonlySet<string>,
): Promise<string[]> {
  const { loader } = ctx;
  const graph = new Map<string, string[]>();
  const stack = [...events];
  await loader.load(stack);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (graph.has(id)) continue;
    const edges: string[] = [];
    for (const aid of loader.authIds(id)) {
      if (!within.has(aid)) continue;
      edges.push(aid);
      if (!graph.has(aid)) stack.push(aid);
    }
    graph.set(id, edges);
  }
  await loader.load(graph.keys());
  await loader.loadAuthEvents(graph.keys());
  const power = new Map<string, number>();
  for (const id of graph.keys()) {
    const event = loader.get(id);
    if (!event) {
      power.set(id, 0);
      continue;
    }
    const { powerLevels, create } = authPowerContext(ctx, id);
    power.set(id, senderPowerLevel(event, powerLevels, create, ctx.roomVersion));
  }
  const ts = (id: string) => {
    const event = loader.get(id);
    return event ? originServerTs(event) : 0;
  };
  return lexicographicalTopologicalSort(graph, (a, b) => {
    const pa = power.get(a)!;
    const pb = power.get(b)!;
    if (pa !== pb) return pa > pb ? -1 : 1;
    const ta = ts(a);
    const tb = ts(b);
    if (ta !== tb) return ta - tb;
    return compareCodePoints(a, b);
  });
}

/** The first `m.room.power_levels` event among a loaded event's auth events. */
async function powerLevelsAuthEvent(ctx: ResolutionContext, eventId: string): Promise<string | undefined> {
  const { loader } = ctx;
  await loader.load([eventId]);
  const auth = loader.authIds(eventId);
  await loader.load(auth);
  for (const aid of auth) {
    const event = loader.get(aid);
    if (event && event.type === "m.room.power_levels" && event.state_key === "") return aid;
  }
  return undefined;
}

/**
 * Sorts events by the mainline ordering based on the power levels event `powerLevelsId` ("Mainline
 * ordering"): events whose power-levels ancestry meets the mainline further back come first; events
 * meeting it nowhere (position ∞) come before all; ties by `origin_server_ts`, then `event_id`.
 */
export async function mainlineSort(
  ctx: ResolutionContext,
  events: readonly string[],
  powerLevelsId: string | undefined,
): Promise<string[]> {
  const { loader } = ctx;
  // The mainline of P: P₀, P₁, … each the power levels auth event of the previous one.
  const mainline = new Map<string, number>();
  for (let p = powerLevelsId; p !== undefined && !mainline.has(p); p = await powerLevelsAuthEvent(ctx, p)) {
    mainline.set(p, mainline.size);
  }
  // Memoised: from a power levels event, the mainline position reached by following power levels
  // auth events (the event itself counts).
  const positionFrom = new Map<string, number>();
  const walk = async (start: string | undefined): Promise<number> => {
    const path = new Set<string>();
    let position = Number.POSITIVE_INFINITY;
    for (let p = start; p !== undefined; p = await powerLevelsAuthEvent(ctx, p)) {
      const known = mainline.get(p) ?? positionFrom.get(p);
      if (known !== undefined) {
        position = known;
        break;
      }
      if (path.has(p)) break; // a cycle cannot happen in a real auth graph; stop if it does
      path.add(p);
    }
    for (const p of path) positionFrom.set(p, position);
    return position;
  };
  await loader.load(events);
  const keyed = new Map<string, { position: number; ts: number }>();
  for (const id of events) {
    // e₁ is the power levels event in e₀'s auth events; e₀ itself is not on the list.
    const position = await walk(await powerLevelsAuthEvent(ctx, id));
    const event = loader.get(id);
    keyed.set(id, { position, ts: event ? originServerTs(event) : 0 });
  }
  return [...events].sort((a, b) => {
    const ka = keyed.get(a)!;
    const kb = keyed.get(b)!;
    if (ka.position !== kb.position) return ka.position > kb.position ? -1 : 1;
    if (ka.ts !== kb.ts) return ka.ts - kb.ts;
    return compareCodePoints(a, b);
  });
}

/**
 * Resolves state sets with state resolution v2 or v2.1 ("Algorithm"), as chosen by
 * `ctx.rules.stateResolution`.
 *
 * Events of the conflicted state set that `fetchEvent` does not know make the resolution throw
 * {@link MissingStateEventError}: the caller named them, so it must be able to produce them, and
 * dropping them would silently change which event wins. Other missing events (from auth chains) are
 * left out of the full conflicted set and treated as having no auth events.
 */
export async function resolveV2(
  ctx: ResolutionContext,
  stateSets: ReadonlyArray<ReadonlyMap<string, string>>,
  authDifference: AuthChainDifferenceFn | undefined,
): Promise<Map<string, string>> {
  const { loader } = ctx;
  const { unconflicted, conflicted } = partitionStateSets(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const conflictedIds = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);
  await loader.load(conflictedIds);
  const missing = [...conflictedIds].filter((id) => !loader.has(id));
  if (missing.length > 0) throw new MissingStateEventError(missing);

  // Full conflicted set: conflicted state set ∪ auth difference (∪ conflicted state subgraph, v2.1).
  const valueSets = stateSets.map((s) => new Set(s.values()));
  const difference = authDifference
    ? await authDifference(valueSets)
    : await authChainDifference(valueSets, loader);
  const full = new Set(conflictedIds);
  for (const id of difference) full.add(id);
  if (ctx.rules.stateResolution === "v2.1") {
    for (const id of await conflictedStateSubgraph(conflictedIds, loader)) full.add(id);
  }
  await loader.load(full);
  for (const id of full) if (!loader.has(id)) full.delete(id);

  // Step 1: the power events of the full conflicted set and their auth chains within it.
  const powerEvents = [...full].filter((id) => isPowerEvent(loader.get(id)!));
  const sortedPower = await reverseTopologicalPowerSort(ctx, powerEvents, full);

  // Step 2: iterative auth checks from the unconflicted state map (v2) or an empty map (v2.1).
  const initial = ctx.rules.stateResolution === "v2.1" ? new Map<string, string>() : new Map(unconflicted);
  const partial = await iterativeAuthChecks(ctx, sortedPower, initial);

  // Step 3: the remaining events by mainline ordering on the partially resolved power levels.
  const inStep1 = new Set(sortedPower);
  const remaining = [...full].filter((id) => !inStep1.has(id));
  const sortedRemaining = await mainlineSort(ctx, remaining, partial.get(POWER_LEVELS_KEY));

  // Step 4: iterative auth checks on top of the partially resolved state.
  const resolved = await iterativeAuthChecks(ctx, sortedRemaining, partial);

  // Step 5: the unconflicted state map wins.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}

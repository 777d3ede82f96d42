/**
 * State resolution v1 (room version 1, "State resolution" in rooms/v1).
 *
 * R starts as the union of the state sets without the conflicting keys. Conflicts are then resolved
 * by type: `m.room.power_levels`, then `m.room.join_rules`, then `m.room.member`, each by walking the
 * candidates in ascending `depth` (descending `sha1(event_id)` on ties) while each passes the
 * authorization rules against R; every other key takes the deepest candidate (smallest
 * `sha1(event_id)` on ties) that passes against R.
 *
 * Within one type, every key is resolved against the same R and the results are added together, as
 * Synapse does, so the outcome does not depend on the order keys are visited in.
 */
import { createHash } from "node:crypto";
import { parseStateMapKey, stateMapKey } from "../events/state-map-key.js";
import { authSelection, isAllowed } from "./auth-adapter.js";
import { POWER_LEVELS_KEY, type ResolutionContext } from "./context.js";
import { MissingStateEventError } from "./errors.js";
import type { StateResEvent } from "./event-loader.js";

/**
 * Splits state sets the v1 way: a key is conflicting iff the sets that have it disagree on its event
 * ID ("A conflict occurs between states where those states have different event_ids for the same
 * (event_type, state_key)"). A key missing from some sets is not a conflict.
 */
export function partitionStateSetsV1(stateSets: ReadonlyArray<ReadonlyMap<string, string>>): {
  unconflicted: Map<string, string>;
  conflicted: Map<string, Set<string>>;
} {
  const values = new Map<string, Set<string>>();
  for (const s of stateSets) {
    for (const [key, id] of s) {
      const ids = values.get(key);
      if (ids) ids.add(id);
      else values.set(key, new Set([id]));
    }
  }
  const unconflicted = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  for (const [key, ids] of values) {
    if (ids.size === 1) unconflicted.set(key, ids.values().next().value!);
    else conflicted.set(key, ids);
  }
  return { unconflicted, conflicted };
}

/** The hex SHA-1 of an event ID, the v1 tie-break. */
function sha1Hex(eventId: string): string {
  return createHash("sha1").update(eventId, "utf8").digest("hex");
}

function depthOf(event: StateResEvent | undefined): number {
  const depth = event?.depth;
  return typeof depth === "number" && Number.isFinite(depth) ? depth : 0;
}

/**
 * Resolves state sets with state resolution v1. Conflicting events that `fetchEvent` does not know
 * make it throw {@link MissingStateEventError}.
 */
export async function resolveV1(
  ctx: ResolutionContext,
  stateSets: ReadonlyArray<ReadonlyMap<string, string>>,
): Promise<Map<string, string>> {
  const { loader, roomVersion } = ctx;
  const { unconflicted, conflicted } = partitionStateSetsV1(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const all = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) all.add(id);
  await loader.load(all);
  const missing = [...all].filter((id) => !loader.has(id));
  if (missing.length > 0) throw new MissingStateEventError(missing);

  const hash = new Map<string, string>();
  for (const id of all) hash.set(id, sha1Hex(id));
  // Ascending depth, then descending sha1(event_id).
  const ascending = (ids: Iterable<string>) =>
    [...ids].sort((a, b) => {
      const d = depthOf(loader.get(a)) - depthOf(loader.get(b));
      if (d !== 0) return d;
      const ha = hash.get(a)!;
      const hb = hash.get(b)!;
      return ha === hb ? 0 : ha > hb ? -1 : 1;
    });

  const r = new Map(unconflicted);

  /** Whether `eventId` passes the authorization rules against `state`, overridden by `extra`. */
  const allowedIn = async (eventId: string, extra?: [key: string, id: string]): Promise<boolean> => {
    const event = loader.get(eventId)!;
    const ids: string[] = [];
    for (const [type, stateKey] of authSelection(event, roomVersion)) {
      const key = stateMapKey(type, stateKey);
      const id = extra && extra[0] === key ? extra[1] : r.get(key);
      if (id !== undefined) ids.push(id);
    }
    await loader.load(ids);
    const authEvents: StateResEvent[] = [];
    for (const id of ids) {
      const auth = loader.get(id);
      if (auth) authEvents.push(auth);
    }
    return isAllowed(event, authEvents, roomVersion);
  };

  /** Power levels, join rules, members: the first, then each next one while it passes. */
  const resolveAuthKey = async (key: string, ids: Iterable<string>): Promise<string> => {
    const [first, ...rest] = ascending(ids);
    let winner = first!;
    for (const next of rest) {
      if (!(await allowedIn(next, [key, winner]))) break;
      winner = next;
    }
    return winner;
  };

  /** Other keys: the deepest (lowest sha1 on ties) that passes against R. */
  const resolveOtherKey = async (ids: Iterable<string>): Promise<string> => {
    const descending = ascending(ids).reverse();
    for (const id of descending) if (await allowedIn(id)) return id;
    // NOTSPEC: the spec does not say what to do if no candidate passes. Like Synapse, take the last
    // one tried (the shallowest), so that the key is not dropped from the state.
    return descending[descending.length - 1]!;
  };

  const typeOf = (key: string) => parseStateMapKey(key)[0];
  const resolveGroup = async (keys: string[], resolve: (key: string) => Promise<string>) => {
    const winners: Array<[string, string]> = [];
    for (const key of keys) winners.push([key, await resolve(key)]);
    for (const [key, id] of winners) r.set(key, id);
  };

  const powerLevels = conflicted.get(POWER_LEVELS_KEY);
  if (powerLevels) r.set(POWER_LEVELS_KEY, await resolveAuthKey(POWER_LEVELS_KEY, powerLevels));
  const rest = [...conflicted.keys()].filter((key) => key !== POWER_LEVELS_KEY);
  const joinRules = rest.filter((key) => typeOf(key) === "m.room.join_rules");
  const members = rest.filter((key) => typeOf(key) === "m.room.member");
  const others = rest.filter((key) => {
    const type = typeOf(key);
    return type !== "m.room.join_rules" && type !== "m.room.member";
  });
  await resolveGroup(joinRules, (key) => resolveAuthKey(key, conflicted.get(key)!));
  await resolveGroup(members, (key) => resolveAuthKey(key, conflicted.get(key)!));
  await resolveGroup(others, (key) => resolveOtherKey(conflicted.get(key)!));
  return r;
}

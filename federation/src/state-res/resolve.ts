/**
 * The entry point of state resolution: picks the algorithm of the room version ("State resolution"
 * on each room version's page) from its rules table.
 */
import { roomVersionRules } from "../room-versions/index.js";
import { findCreateEventId, type ResolutionContext, type ResolveStateOptions } from "./context.js";
import { EventLoader, type FetchEvent } from "./event-loader.js";
import { resolveV1 } from "./v1.js";
import { resolveV2 } from "./v2.js";

/**
 * Resolves a set of room states into one ("State resolution"): v1 for room version 1, v2 for room
 * versions 2–11, v2.1 for room version 12, as `roomVersionRules(roomVersion).stateResolution` says.
 *
 * @param roomVersion the room's version; unknown versions throw `UnsupportedRoomVersionError`
 * @param stateSets the states to resolve, each keyed by `stateMapKey(type, stateKey)` and valued by
 *   event ID. Neither the order of the sets nor the order of entries within them affects the result.
 * @param fetchEvent returns an event (a plain JSON object) by ID, synchronously or not, or
 *   `undefined` if unknown. Each event is fetched at most once per call.
 * @param options a rejection oracle and an optional precomputed auth difference
 * @returns the resolved state: every key of the result maps to an event ID
 * @throws MissingStateEventError if an event of the conflicted state set cannot be fetched. Events
 *   missing elsewhere (auth chains, power levels ancestry, auth events) are skipped: a missing auth
 *   event is simply not part of an event's auth state, and the auth chain walk stops at it.
 */
export async function resolveState(
  roomVersion: string,
  stateSets: Map<string, string>[],
  fetchEvent: FetchEvent,
  options: ResolveStateOptions = {},
): Promise<Map<string, string>> {
  const rules = roomVersionRules(roomVersion);
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  const loader = new EventLoader(fetchEvent);

  let createEventId = findCreateEventId(stateSets, rules, undefined);
  if (createEventId === undefined && rules.roomIdFormat === "create-event-hash") {
    // Derive it from the room ID of any event named by the state sets.
    const someId = stateSets
      .find((s) => s.size > 0)
      ?.values()
      .next().value;
    if (someId !== undefined) {
      await loader.load([someId]);
      createEventId = findCreateEventId([], rules, loader.get(someId));
    }
  }
  const ctx: ResolutionContext = {
    roomVersion,
    rules,
    loader,
    isRejected: options.isRejected ?? (() => false),
    createEventId,
  };
  switch (rules.stateResolution) {
    case "v1":
      return resolveV1(ctx, stateSets);
    case "v2":
    case "v2.1":
      return resolveV2(ctx, stateSets, options.authChainDifference);
  }
}

/**
 * Auth chains, the auth difference and the conflicted state subgraph ("State resolution",
 * "Definitions", in room versions 2 and 12).
 *
 * All walks go breadth-first over `auth_events` and fetch each frontier as one batch through the
 * {@link EventLoader}. Events the callback does not know are treated as having no auth events: the
 * walk stops there rather than failing (a server may legitimately lack deep history; the missing
 * part simply cannot contribute to the difference).
 */
import { EventLoader, type FetchEvent } from "./event-loader.js";

/**
 * Computes an auth difference from precomputed data, e.g. a homeserver's auth-chain index. Given the
 * event IDs of each state set, returns ∪Cᵢ − ∩Cᵢ where Cᵢ is the full auth chain of set i, with the
 * set's own events counted as part of Cᵢ (see {@link authChainDifference}).
 */
export type AuthChainDifferenceFn = (
  stateSets: ReadonlyArray<ReadonlySet<string>>,
) => Iterable<string> | Promise<Iterable<string>>;

function loaderOf(source: EventLoader | FetchEvent): EventLoader {
  return source instanceof EventLoader ? source : new EventLoader(source);
}

/**
 * Walks `auth_events` from `starts` and returns every event reached, the starts included.
 * Events in `stop` are neither added nor walked through.
 */
async function closure(
  starts: Iterable<string>,
  loader: EventLoader,
  stop?: ReadonlySet<string>,
): Promise<Set<string>> {
  const seen = new Set<string>();
  let frontier: string[] = [];
  for (const id of starts) {
    if (stop?.has(id) || seen.has(id)) continue;
    seen.add(id);
    frontier.push(id);
  }
  while (frontier.length > 0) {
    await loader.load(frontier);
    const next: string[] = [];
    for (const id of frontier) {
      for (const parent of loader.authIds(id)) {
        if (seen.has(parent) || stop?.has(parent)) continue;
        seen.add(parent);
        next.push(parent);
      }
    }
    frontier = next;
  }
  return seen;
}

/**
 * The auth chain of a set of events ("Auth chain"): every event reachable through `auth_events`,
 * recursively. The given events themselves are included only if one is reachable from another,
 * unless `includeSelf` is set.
 */
export async function authChain(
  eventIds: Iterable<string>,
  fetchEvent: EventLoader | FetchEvent,
  options: { includeSelf?: boolean } = {},
): Promise<Set<string>> {
  const loader = loaderOf(fetchEvent);
  const starts = [...eventIds];
  await loader.load(starts);
  const parents = new Set<string>();
  for (const id of starts) for (const p of loader.authIds(id)) parents.add(p);
  const chain = await closure(parents, loader);
  if (options.includeSelf) for (const id of starts) chain.add(id);
  return chain;
}

/**
 * The auth difference ("Auth difference"): ∪Cᵢ − ∩Cᵢ, where Cᵢ is the full auth chain of state
 * set i.
 *
 * Like Synapse, Cᵢ here counts the events of state set i themselves as well as their auth chains.
 * This only changes whether events of the state sets are in the difference: conflicted ones are in
 * the full conflicted set regardless, and unconflicted ones (in every set) then never are.
 *
 * Cost: events common to every set (the unconflicted state, typically nearly all of it) and
 * their ancestors form a set U that lies in every Cᵢ, so it is walked once; each set's own events are
 * then walked only down to U. ∪Cᵢ − ∩Cᵢ = ∪(Cᵢ−U) − ∩(Cᵢ−U).
 */
export async function authChainDifference(
  stateSets: ReadonlyArray<Iterable<string>>,
  fetchEvent: EventLoader | FetchEvent,
): Promise<Set<string>> {
  const loader = loaderOf(fetchEvent);
  const sets = stateSets.map((s) => (s instanceof Set ? (s as Set<string>) : new Set(s)));
  if (sets.length === 0) return new Set();
  const [smallest] = [...sets].sort((a, b) => a.size - b.size);
  const common: string[] = [];
  for (const id of smallest!) if (sets.every((s) => s.has(id))) common.push(id);
  const shared = await closure(common, loader);

  // How many sets reach each event outside U.
  const reached = new Map<string, number>();
  for (const set of sets) {
    for (const id of await closure(set, loader, shared)) reached.set(id, (reached.get(id) ?? 0) + 1);
  }
  const difference = new Set<string>();
  for (const [id, count] of reached) if (count < sets.length) difference.add(id);
  return difference;
}

/**
 * The conflicted state subgraph (room version 12, "Conflicted state subgraph"): every event on an
 * `auth_events` path from one event of `conflicted` to another, endpoints included.
 *
 * Computed as the events reachable from the conflicted set that can themselves reach a conflicted
 * event: one walk down the auth graph, then one walk back up its reversed edges from the conflicted
 * events.
 */
export async function conflictedStateSubgraph(
  conflicted: Iterable<string>,
  fetchEvent: EventLoader | FetchEvent,
): Promise<Set<string>> {
  const loader = loaderOf(fetchEvent);
  const targets = new Set(conflicted);
  const reachable = await closure(targets, loader);
  // Reverse edges within the reachable part: auth event → events citing it.
  const citedBy = new Map<string, string[]>();
  for (const id of reachable) {
    for (const parent of loader.authIds(id)) {
      const list = citedBy.get(parent);
      if (list) list.push(id);
      else citedBy.set(parent, [id]);
    }
  }
  // Walk up from every conflicted event; a node reached this way can reach a conflicted event.
  // Up-walks start only at conflicted events, and every event reached lies in `reachable`, which is
  // exactly "reachable from a conflicted event", so what is reached is on a path between two.
  const subgraph = new Set<string>();
  const stack = [...targets].filter((id) => loader.has(id));
  for (const id of stack) subgraph.add(id);
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const child of citedBy.get(id) ?? []) {
      if (subgraph.has(child)) continue;
      subgraph.add(child);
      stack.push(child);
    }
  }
  return subgraph;
}

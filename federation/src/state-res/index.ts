/**
 * State resolution v1, v2 and v2.1 as pure functions over state maps, with events read through a
 * callback ("State resolution" in rooms/v1, rooms/v2 and rooms/v12).
 */
export {
  type AuthChainDifferenceFn,
  authChain,
  authChainDifference,
  conflictedStateSubgraph,
} from "./auth-chain.js";
export type { ResolveStateOptions } from "./context.js";
export { MissingStateEventError } from "./errors.js";
export { EventLoader, type FetchEvent, type StateResEvent } from "./event-loader.js";
export { resolveState } from "./resolve.js";
export { lexicographicalTopologicalSort } from "./topological-sort.js";
export { partitionStateSetsV1 } from "./v1.js";
export { isPowerEvent, partitionStateSets } from "./v2.js";

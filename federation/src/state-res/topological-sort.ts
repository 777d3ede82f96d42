/**
 * The lexicographically smallest topological ordering of a DAG ("Reverse topological power
 * ordering": "sorting the events using Kahn's algorithm for topological sorting, and at each step
 * selecting, among all the candidate vertices, the smallest vertex").
 */

/** A binary min-heap under a comparison function. */
class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < items.length && this.#compare(items[l]!, items[min]!) < 0) min = l;
        if (r < items.length && this.#compare(items[r]!, items[min]!) < 0) min = r;
        if (min === i) break;
        [items[i], items[min]] = [items[min]!, items[i]!];
        i = min;
      }
    }
    return top;
  }
}

/**
 * Orders the nodes of `graph` so that every node comes after the nodes it points to (for the auth
 * DAG, an event after its auth events: "ordered from earliest event to latest"), choosing at each step
 * the smallest available node under `compare`. Edges to nodes that are not keys of `graph` are
 * ignored. Throws if the graph has a cycle (auth graphs cannot: an event's ID commits to its auth
 * events).
 *
 * O((V + E) log V).
 */
export function lexicographicalTopologicalSort(
  graph: ReadonlyMap<string, Iterable<string>>,
  compare: (a: string, b: string) => number,
): string[] {
  // outdegree: how many distinct in-graph nodes each node still waits for.
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [node, edges] of graph) {
    const distinct = new Set<string>();
    for (const target of edges) if (target !== node && graph.has(target)) distinct.add(target);
    waiting.set(node, distinct.size);
    for (const target of distinct) {
      const list = dependents.get(target);
      if (list) list.push(node);
      else dependents.set(target, [node]);
    }
  }
  const ready = new MinHeap<string>(compare);
  for (const [node, count] of waiting) if (count === 0) ready.push(node);
  const order: string[] = [];
  while (ready.size > 0) {
    const node = ready.pop()!;
    order.push(node);
    for (const dependent of dependents.get(node) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length !== graph.size) throw new Error("lexicographicalTopologicalSort: the graph has a cycle");
  return order;
}

/**
 * Keys of state maps. A room's state maps `(event_type, state_key)` to an event ID; we key JS maps by
 * one string per pair. The encoding is one-to-one (JSON of the pair), so no two pairs collide, even
 * with types or state keys containing any separator character.
 */

/** The state map key of `(type, stateKey)`. */
export function stateMapKey(type: string, stateKey: string): string {
  return JSON.stringify([type, stateKey]);
}

/** The `(type, stateKey)` pair of a key made by {@link stateMapKey}. */
export function parseStateMapKey(key: string): [type: string, stateKey: string] {
  const pair = JSON.parse(key) as unknown;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    typeof pair[0] !== "string" ||
    typeof pair[1] !== "string"
  ) {
    throw new TypeError(`Not a state map key: ${key}`);
  }
  return [pair[0], pair[1]];
}

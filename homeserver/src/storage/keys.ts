/**
 * Key encoding shared by the keyspace modules: parts joined by U+0000 (no Matrix identifier contains
 * it), numbers as fixed-width, zero-padded decimals so that byte order is numeric order.
 */

/** Separates the parts of a composite key. */
export const SEP = "\u0000";
/** Sorts after every other character a key part can contain: the upper bound of a prefix range. */
export const MAX = "\uffff";

/** A composite key of `parts`. */
export function key(...parts: Array<string | number>): string {
  return parts.map((p) => (typeof p === "number" ? num(p) : p)).join(SEP);
}

/** A non-negative safe integer as 16 fixed-width decimal digits. */
export function num(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a key number: ${n}`);
  return n.toString().padStart(16, "0");
}

/** The range of keys that start with the parts of `prefix` (for iterators). */
export function prefixRange(...prefix: Array<string | number>): { gt: string; lt: string } {
  const p = key(...prefix) + SEP;
  return { gt: p, lt: p + MAX };
}

/** The parts of a composite key. */
export function parts(k: string): string[] {
  return k.split(SEP);
}

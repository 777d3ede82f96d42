/**
 * Matrix canonical JSON (appendices, "Canonical JSON"): the shortest UTF-8 JSON encoding, object keys
 * sorted by Unicode code point, integers only within [-(2^53)+1, (2^53)-1], no floats, `-0` written
 * as `0`, only `"`, `\` and U+0000–U+001F escaped.
 *
 * This is not RFC 8785 (JCS): JCS sorts keys by UTF-16 code units and writes floats.
 */
import { CanonicalJsonError } from "../errors/index.js";

const objectProto = Object.prototype;

/**
 * Encodes `value` as Matrix canonical JSON. Throws {@link CanonicalJsonError} for anything Matrix JSON
 * cannot carry: non-integers, integers outside ±(2^53−1), NaN/Infinity, bigint, functions, symbols,
 * `undefined` (except as an object member, which is omitted as in `JSON.stringify`), strings with
 * lone surrogates (not encodable as UTF-8), and objects that are not plain objects or arrays.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, "$");
}

function encode(value: unknown, path: string): string {
  switch (typeof value) {
    case "string":
      return encodeString(value, path);
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(`${path}: ${value} is not an integer within ±(2^53−1)`);
      }
      // String(-0) is "0", as the spec requires.
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          if (item === undefined) throw new CanonicalJsonError(`${path}[${i}]: undefined is not JSON`);
          out += encode(item, path);
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== objectProto && proto !== null) {
        throw new CanonicalJsonError(
          `${path}: ${proto?.constructor?.name ?? "object"} is not a plain object`,
        );
      }
      const record = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(record));
      let out = "{";
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += encodeString(key, path) + ":" + encode(member, path);
      }
      return out + "}";
    }
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} is not JSON`);
  }
}

// Characters that need escaping, or a check for lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeString(s: string, path: string): string {
  if (!SPECIAL.test(s)) return '"' + s + '"';
  // JSON.stringify escapes exactly `"`, `\` and U+0000–U+001F (short forms \b \t \n \f \r, else
  // \u00xx in lower case, as the grammar wants) and leaves everything else raw — except lone
  // surrogates, which it escapes; those cannot be encoded in UTF-8, so they are refused.
  if (!s.isWellFormed()) throw new CanonicalJsonError(`${path}: string has a lone surrogate`);
  return JSON.stringify(s);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Sorts keys by Unicode code point. The default sort compares UTF-16 code units, which agrees with
 * code point order except between astral characters (surrogate pairs) and U+E000–U+FFFF.
 */
function sortKeys(keys: string[]): string[] {
  keys.sort();
  for (const key of keys) {
    if (SURROGATE.test(key)) return keys.sort(compareCodePoints);
  }
  return keys;
}

/** Compares two strings by Unicode code point. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Canonical JSON as UTF-8 bytes (what is hashed and signed). */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}

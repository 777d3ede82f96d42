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
 * The deepest nesting the encoder follows. Untrusted JSON is bounded far below this when it is parsed
 * (`parseJson`); the bound keeps the recursive encoder safe for anything else that reaches it.
 */
export const MAX_CANONICAL_JSON_DEPTH = 512;

/**
 * Encodes `value` as Matrix canonical JSON. Throws {@link CanonicalJsonError} for anything Matrix JSON
 * cannot carry: non-integers, integers outside ±(2^53−1), NaN/Infinity, bigint, functions, symbols,
 * `undefined` (except as an object member, which is omitted as in `JSON.stringify`), strings with
 * lone surrogates (not encodable as UTF-8), objects that are not plain objects or arrays, and nesting
 * deeper than {@link MAX_CANONICAL_JSON_DEPTH}.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0, false);
}

/**
 * Canonical JSON, except that a lone surrogate is written as a `\uXXXX` escape instead of refused.
 * Only for checking a signature over a whole request whose parts are checked one by one afterwards
 * (an `X-Matrix` transaction holding one PDU with a lone surrogate: the PDU is refused, the rest of the
 * transaction processed). The mapping stays one-to-one, and equals {@link canonicalJson} wherever
 * that succeeds, so no signature verifies that canonical JSON would not.
 */
export function canonicalJsonEscapingLoneSurrogates(value: unknown): string {
  return encode(value, 0, true);
}

function encode(value: unknown, depth: number, escapeLone: boolean): string {
  switch (typeof value) {
    case "string":
      return encodeString(value, escapeLone);
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(`${value} is not an integer within ±(2^53−1)`);
      }
      // String(-0) is "0", as the spec requires.
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (depth >= MAX_CANONICAL_JSON_DEPTH) {
        throw new CanonicalJsonError(`nested deeper than ${MAX_CANONICAL_JSON_DEPTH} levels`);
      }
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          if (item === undefined) throw new CanonicalJsonError(`[${i}]: undefined is not JSON`);
          out += encode(item, depth + 1, escapeLone);
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== objectProto && proto !== null) {
        throw new CanonicalJsonError(`${proto?.constructor?.name ?? "object"} is not a plain object`);
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
        out += encodeString(key, escapeLone) + ":" + encode(member, depth + 1, escapeLone);
      }
      return out + "}";
    }
    default:
      throw new CanonicalJsonError(`a ${typeof value} is not JSON`);
  }
}

// Characters that need escaping, or a check for lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeString(s: string, escapeLone: boolean): string {
  if (!SPECIAL.test(s)) return '"' + s + '"';
  // JSON.stringify escapes exactly `"`, `\` and U+0000–U+001F (short forms \b \t \n \f \r, else
  // \u00xx in lower case, as the grammar wants) and leaves everything else raw — except lone
  // surrogates, which it escapes; those cannot be encoded in UTF-8, so they are refused.
  if (!escapeLone && !s.isWellFormed()) throw new CanonicalJsonError("a string has a lone surrogate");
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

/**
 * Small grammar helpers shared by the identifier parsers (appendices, "Identifier Grammar"), and the
 * two generic grammars: "Common Namespaced Identifier Grammar" and "Opaque Identifiers".
 *
 * Pure: no Node APIs, so `client-sdk` can use it in a browser.
 */

/** The byte limit on user IDs, room IDs, room aliases and event IDs ("Identifier Grammar"). */
export const MAX_IDENTIFIER_BYTES = 255;

/**
 * The number of bytes `s` takes in UTF-8. Lone surrogates count as 3 bytes (as U+FFFD would); callers
 * reject them separately with {@link isWellFormedUnicode}.
 */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Whether `s` has no lone surrogates, i.e. is a sequence of Unicode scalar values. */
export function isWellFormedUnicode(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return false;
  }
  return true;
}

/**
 * Whether `s` is a valid "opaque" localpart of a room ID, room alias, v1/v2 event ID or historical
 * user ID: non-surrogate code points except `:` and NUL ("Room IDs", "Room Aliases",
 * "Historical User IDs"). Emptiness is the caller's decision.
 */
export function isOpaqueLocalpart(s: string): boolean {
  return !s.includes(":") && !s.includes("\u0000") && isWellFormedUnicode(s);
}

const COMMON_NAMESPACED = /^[a-z][a-z0-9._-]{0,254}$/;

/**
 * Whether `s` follows the "Common Namespaced Identifier Grammar": 1–255 characters of `[a-z0-9._-]`,
 * starting with `[a-z]`. Does not check the `m.` reservation or the reverse-DNS recommendation.
 */
export function isValidCommonNamespacedIdentifier(s: unknown): s is string {
  return typeof s === "string" && COMMON_NAMESPACED.test(s);
}

const OPAQUE_IDENTIFIER = /^[0-9A-Za-z._~-]{1,255}$/;

/**
 * Whether `s` follows the "Opaque Identifiers" grammar: 1–255 characters of `[0-9A-Za-z-._~]` (the
 * RFC 3986 unreserved set). Endpoints that specify other length limits check those themselves.
 */
export function isValidOpaqueIdentifier(s: unknown): s is string {
  return typeof s === "string" && OPAQUE_IDENTIFIER.test(s);
}

/** The outcome of checking a value against a grammar: the parsed value, or why it failed. */
export type Check<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** A successful {@link Check}. */
export function pass<T>(value: T): Check<T> {
  return { ok: true, value };
}

/** A failed {@link Check}. */
export function fail<T>(reason: string): Check<T> {
  return { ok: false, reason };
}

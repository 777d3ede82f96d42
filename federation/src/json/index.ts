/**
 * Parsing untrusted JSON with bounds. Every JSON body a Hearth server or client reads from the network
 * goes through {@link parseJson}: it refuses nesting deeper than a limit and (unless told otherwise)
 * strings holding lone surrogates, which Matrix canonical JSON cannot encode (appendices, "Canonical
 * JSON": JSON is UTF-8, and a lone surrogate has no UTF-8 form). The checks are one iterative pass over
 * the text, so no recursive code ever sees a value nested deeper than the limit.
 *
 * NOTSPEC: the spec sets no nesting limit. Real events nest a few levels (the deepest in common use,
 * `m.relates_to` inside `m.new_content`, or encrypted payloads, stay under 10); 100 leaves ample room.
 */
import { MatrixError } from "../errors/index.js";

/** Deepest nesting of a Client-Server request body (`{}` and `[]` each count one level). */
export const MAX_CLIENT_JSON_DEPTH = 100;

/**
 * Deepest nesting of a Server-Server body (requests and responses). It is the client limit plus room
 * for the envelopes around an event a client created: a transaction (`{pdus: [pdu]}`), the PDU itself
 * (`{content: …}`) and `unsigned.prev_content`, so whatever a client may send also travels between
 * servers.
 */
export const MAX_FEDERATION_JSON_DEPTH = 128;

/** How to parse. */
export interface JsonParseOptions {
  /** The deepest nesting accepted. */
  readonly maxDepth: number;
  /**
   * `refuse` (default): a string with a lone surrogate is `M_BAD_JSON`. `allow`: the caller checks
   * the parts it uses itself (a transaction refuses one bad PDU and processes the others).
   */
  readonly loneSurrogates?: "refuse" | "allow";
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses JSON text or UTF-8 bytes. Throws `M_NOT_JSON` for anything that is not UTF-8 JSON, and
 * `M_BAD_JSON` for JSON nested deeper than `maxDepth` or holding a lone surrogate (unless allowed).
 */
export function parseJson(input: string | Uint8Array | ArrayBuffer, options: JsonParseOptions): unknown {
  let text: string;
  try {
    text = typeof input === "string" ? input : strictUtf8.decode(input);
  } catch {
    throw new MatrixError("M_NOT_JSON", "Content not UTF-8.");
  }
  // Before JSON.parse, so that nothing is built for a body that is refused (text that is both too
  // deep and not JSON gets M_BAD_JSON).
  const problem = scanJsonText(text, options.maxDepth, options.loneSurrogates !== "allow");
  if (problem) throw new MatrixError("M_BAD_JSON", problem);
  try {
    return JSON.parse(text);
  } catch {
    throw new MatrixError("M_NOT_JSON", "Content not JSON.");
  }
}

/**
 * Parses a body that must be a JSON object: `undefined` for an empty body, else as {@link parseJson},
 * and `M_BAD_JSON` when the JSON is not an object.
 */
export function parseJsonObject(
  input: Uint8Array | ArrayBuffer,
  options: JsonParseOptions,
): Record<string, unknown> | undefined {
  if (input.byteLength === 0) return undefined;
  const value = parseJson(input, options);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MatrixError("M_BAD_JSON", "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The code unit a `\uXXXX` escape at `i` (pointing at the backslash) stands for, or -1. */
function escapedUnit(text: string, i: number): number {
  if (text.charCodeAt(i) !== BACKSLASH || text.charCodeAt(i + 1) !== LOWER_U) return -1;
  const hex = text.slice(i + 2, i + 6);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

/**
 * One pass over JSON text: the first problem (nesting over `maxDepth`, or a lone surrogate,
 * raw or escaped, when `refuseSurrogates`), or undefined.
 */
function scanJsonText(text: string, maxDepth: number, refuseSurrogates: boolean): string | undefined {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string: find its end, looking at escapes and surrogates only when they matter.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          if (refuseSurrogates) {
            const unit = escapedUnit(text, i);
            if (isLow(unit)) return "A string holds a lone surrogate";
            if (isHigh(unit)) {
              if (!isLow(escapedUnit(text, i + 6))) return "A string holds a lone surrogate";
              i += 6;
            }
          }
          i++; // skip the escaped character (the rest of \uXXXX is plain hex digits)
        } else if (refuseSurrogates && d >= 0xd800 && d <= 0xdfff) {
          if (!isHigh(d) || !isLow(text.charCodeAt(i + 1))) return "A string holds a lone surrogate";
          i++;
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return `JSON nested deeper than ${maxDepth} levels`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

/**
 * The first problem of an already parsed value, walked iteratively: nesting deeper than `maxDepth`,
 * a string or key with a lone surrogate (when `loneSurrogates` is `refuse`, the default), or
 * undefined. For values that did not come through {@link parseJson} with the same options (an EDU of
 * a transaction parsed with lone surrogates allowed).
 */
export function jsonValueProblem(value: unknown, options: JsonParseOptions): string | undefined {
  const refuse = options.loneSurrogates !== "allow";
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") {
      if (refuse && !v.isWellFormed()) return "A string holds a lone surrogate";
    } else if (typeof v === "object" && v !== null) {
      if (depth + 1 > options.maxDepth) return `JSON nested deeper than ${options.maxDepth} levels`;
      if (Array.isArray(v)) {
        for (const item of v) stack.push([item, depth + 1]);
      } else {
        for (const [key, item] of Object.entries(v)) {
          if (refuse && !key.isWellFormed()) return "A key holds a lone surrogate";
          stack.push([item, depth + 1]);
        }
      }
    }
  }
  return undefined;
}

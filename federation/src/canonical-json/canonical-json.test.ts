import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  canonicalJsonEscapingLoneSurrogates,
  compareCodePoints,
  MAX_CANONICAL_JSON_DEPTH,
} from "./index.js";

describe("canonicalJson", () => {
  it("sorts keys by code point, not UTF-16 code unit", () => {
    // U+FB01 (one UTF-16 unit, 0xFB01) sorts before U+1F600 (surrogates 0xD83D 0xDE00) by code
    // point, but after it by UTF-16 code unit.
    expect(canonicalJson({ "\u{1F600}": 1, "\uFB01": 2 })).toBe('{"\uFB01":2,"\u{1F600}":1}');
    expect(canonicalJson({ b: 1, a: 2, "": 3, aa: 4 })).toBe('{"":3,"a":2,"aa":4,"b":1}');
    expect(compareCodePoints("\uFB01", "\u{1F600}")).toBeLessThan(0);
    expect(compareCodePoints("a", "ab")).toBeLessThan(0);
    expect(compareCodePoints("ab", "ab")).toBe(0);
  });

  it("escapes only quote, backslash and U+0000–U+001F", () => {
    expect(canonicalJson('"\\/')).toBe('"\\"\\\\/"');
    expect(canonicalJson("\b\t\n\f\r")).toBe('"\\b\\t\\n\\f\\r"');
    expect(canonicalJson("\u0000\u0001\u001f")).toBe('"\\u0000\\u0001\\u001f"');
    expect(canonicalJson("\u007f\u2028\u2029é\u{1F600}")).toBe('"\u007f\u2028\u2029é\u{1F600}"');
  });

  it("writes integers plainly, -0 as 0, and bounds them to ±(2^53−1)", () => {
    expect(canonicalJson([0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 1e10])).toBe(
      "[0,0,1,-1,9007199254740991,-9007199254740991,10000000000]",
    );
    for (const bad of [2 ** 53, -(2 ** 53), 1.5, -0.1, Number.NaN, Number.POSITIVE_INFINITY, 1e300]) {
      expect(() => canonicalJson({ a: bad })).toThrow(
        expect.objectContaining({ name: "CanonicalJsonError" }),
      );
    }
  });

  it("refuses values JSON cannot carry", () => {
    const bad: unknown[] = [
      undefined,
      [undefined],
      10n,
      () => 1,
      Symbol("s"),
      new Date(0),
      new Map(),
      new Uint8Array(1),
      "\uD800",
      { "\uDC00": 1 },
    ];
    for (const value of bad) {
      expect(() => canonicalJson(value)).toThrow(expect.objectContaining({ name: "CanonicalJsonError" }));
    }
  });

  it("omits object members whose value is undefined, as JSON.stringify does", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it("accepts objects with a null prototype", () => {
    const o = Object.create(null) as Record<string, number>;
    o.z = 1;
    o.a = 2;
    expect(canonicalJson(o)).toBe('{"a":2,"z":1}');
  });

  const integer = fc.integer({ min: -(2 ** 53 - 1), max: 2 ** 53 - 1 });
  const jsonValue = (key: fc.Arbitrary<string>) =>
    fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        integer,
        fc.string({ unit: "grapheme" }),
        fc.array(tie("value"), { maxLength: 5 }),
        fc.dictionary(key, tie("value"), { maxKeys: 5 }),
      ),
    })).value;

  it("round-trips: parsing the output gives the input back", () => {
    fc.assert(
      fc.property(jsonValue(fc.string({ unit: "grapheme" })), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(value);
      }),
    );
  });

  it("is stable: encoding the parsed output gives the same bytes", () => {
    fc.assert(
      fc.property(jsonValue(fc.string({ unit: "grapheme" })), (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });

  it("agrees with RFC 8785 (canonicalize) on BMP-keyed, integer-only input", () => {
    // The two definitions agree where keys have no astral characters and numbers are integers.
    const bmpKey = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(jsonValue(bmpKey), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
    );
  });
});

describe("canonicalJson bounds", () => {
  it("refuses nesting deeper than MAX_CANONICAL_JSON_DEPTH with a CanonicalJsonError, not a stack overflow", () => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_CANONICAL_JSON_DEPTH; i++) v = [v];
    expect(canonicalJson(v)).toBe(
      "[".repeat(MAX_CANONICAL_JSON_DEPTH) + "1" + "]".repeat(MAX_CANONICAL_JSON_DEPTH),
    );
    for (const depth of [MAX_CANONICAL_JSON_DEPTH + 1, 100_000]) {
      let deep: unknown = {};
      for (let i = 1; i < depth; i++) deep = { a: deep };
      expect(() => canonicalJson(deep)).toThrow(expect.objectContaining({ name: "CanonicalJsonError" }));
    }
  });

  it("escapes lone surrogates only in the tolerant variant, and otherwise agrees", () => {
    expect(canonicalJsonEscapingLoneSurrogates({ b: "\ud800", a: ["x\udfffy"] })).toBe(
      '{"a":["x\\udfffy"],"b":"\\ud800"}',
    );
    const value = { z: "é\u{1F600}\n", a: [1, -2, { "\u{1F600}": null }] };
    expect(canonicalJsonEscapingLoneSurrogates(value)).toBe(canonicalJson(value));
  });
});

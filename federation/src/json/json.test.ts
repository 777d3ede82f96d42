import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonValueProblem, MAX_CLIENT_JSON_DEPTH, parseJson, parseJsonObject } from "./index.js";

const limits = { maxDepth: MAX_CLIENT_JSON_DEPTH };
const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
const errcodeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { errcode?: string }).errcode;
  }
  return undefined;
};

describe("parseJson", () => {
  it("accepts nesting up to the limit and refuses one level more with M_BAD_JSON", () => {
    expect(parseJson(nested(100), limits)).toBeDefined();
    expect(errcodeOf(() => parseJson(nested(101), limits))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson(`{"a":${nested(100)}}`, limits))).toBe("M_BAD_JSON");
    expect(parseJson(`{"a":${nested(99)}}`, limits)).toBeDefined();
  });

  it("refuses very deep input quickly and without exhausting the stack", () => {
    const start = performance.now();
    expect(errcodeOf(() => parseJson(nested(1_000_000), limits))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson(`{"a":`.repeat(200_000) + "1" + "}".repeat(200_000), limits))).toBe(
      "M_BAD_JSON",
    );
    expect(performance.now() - start).toBeLessThan(5_000);
  });

  it("does not count brackets inside strings", () => {
    const s = JSON.stringify({ a: "[".repeat(500), b: '{\\"[' });
    expect(parseJson(s, limits)).toEqual(JSON.parse(s));
  });

  it("refuses escaped and raw lone surrogates, accepts pairs", () => {
    for (const bad of [
      '"\\ud800"',
      '"\\uDC00"',
      '"\\ud800x"',
      '"\\ud800\\u0041"',
      '{"\\udfff":1}',
      '"\ud800"',
    ]) {
      expect(errcodeOf(() => parseJson(bad, limits))).toBe("M_BAD_JSON");
    }
    for (const good of ['"\\ud83d\\ude00"', '"\u{1F600}"', '"\\\\ud800"', '"\\u0000"']) {
      expect(parseJson(good, limits)).toBe(JSON.parse(good));
    }
    expect(parseJson('"\\ud800"', { ...limits, loneSurrogates: "allow" })).toBe("\ud800");
  });

  it("answers M_NOT_JSON for invalid JSON and invalid UTF-8", () => {
    expect(errcodeOf(() => parseJson("{", limits))).toBe("M_NOT_JSON");
    expect(errcodeOf(() => parseJson(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), limits))).toBe(
      "M_NOT_JSON",
    );
    expect(errcodeOf(() => parseJsonObject(new TextEncoder().encode("[]"), limits))).toBe("M_BAD_JSON");
    expect(parseJsonObject(new Uint8Array(0), limits)).toBeUndefined();
  });

  it("gives what JSON.parse gives for any JSON within the limits", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 10 }), (text) => {
        expect(parseJson(text, limits)).toEqual(JSON.parse(text));
      }),
    );
  });

  it("agrees with jsonValueProblem on the parsed value", () => {
    const surrogateString = fc.string({ unit: "binary", maxLength: 4 });
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small", maxDepth: 6 },
        surrogateString,
        fc.integer(),
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(surrogateString, tie("v"), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 7 }), (v, maxDepth) => {
        const text = JSON.stringify(v);
        const opts = { maxDepth };
        const viaText = errcodeOf(() => parseJson(text, opts)) === "M_BAD_JSON";
        expect(jsonValueProblem(v, opts) !== undefined).toBe(viaText);
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { isValidCommonNamespacedIdentifier, isValidOpaqueIdentifier, utf8ByteLength } from "./index.js";

describe("utf8ByteLength", () => {
  it("counts UTF-8 bytes", () => {
    expect(utf8ByteLength("")).toBe(0);
    expect(utf8ByteLength("abc")).toBe(3);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("€")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
    expect(utf8ByteLength("a\u0000b")).toBe(3);
  });

  it("agrees with TextEncoder on well-formed strings", () => {
    const encoder = new TextEncoder();
    for (const s of ["hello", "ünïcödé", "日本語", "😀👍🏽", "\u07ff\u0800\uffff"]) {
      expect(utf8ByteLength(s)).toBe(encoder.encode(s).length);
    }
  });
});

describe("Common Namespaced Identifier Grammar", () => {
  it.each(["m.room.message", "com.example.identifier", "a", "a-b_c.d9", "a".repeat(255)])(
    "accepts %s",
    (s) => {
      expect(isValidCommonNamespacedIdentifier(s)).toBe(true);
    },
  );

  it.each(["", "M.room", "9abc", ".abc", "-abc", "com.Example", "com example", "a".repeat(256), 5])(
    "rejects %j",
    (s) => {
      expect(isValidCommonNamespacedIdentifier(s)).toBe(false);
    },
  );
});

describe("Opaque Identifiers", () => {
  it.each(["ABCdef123", "a-b.c_d~e", "~", "a".repeat(255)])("accepts %s", (s) => {
    expect(isValidOpaqueIdentifier(s)).toBe(true);
  });

  it.each(["", "a b", "a/b", "a:b", "a+b", "ü", "a".repeat(256), null])("rejects %j", (s) => {
    expect(isValidOpaqueIdentifier(s)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import {
  InvalidIdentifierError,
  isValidLocalpartForRegistration,
  isValidUserId,
  parseServerName,
  parseUserId,
  userIdCompliance,
  userLocalpart,
  userServerName,
} from "./index.js";

/** A user ID of exactly `bytes` bytes with an ASCII localpart on example.org. */
function userIdOfBytes(bytes: number): string {
  return `@${"a".repeat(bytes - "@:example.org".length)}:example.org`;
}

describe("parseUserId (strict)", () => {
  it.each([
    "@alice:example.org",
    "@user:matrix.org",
    "@user:MATRIX.ORG",
    "@example:example.org",
    "@a.b_c=d-e/f+g:example.org",
    "@0123456789:example.org:8448",
    "@bot:1.2.3.4",
    "@bob:[::1]:8448",
    "@bob:[1234:5678::abcd]",
  ])("accepts %s", (input) => {
    expect(isValidUserId(input)).toBe(true);
    expect(parseUserId(input)).toBe(input);
  });

  it.each([
    ["", "must start with '@'"],
    ["alice:example.org", "must start with '@'"],
    ["#alice:example.org", "must start with '@'"],
    ["@alice", "missing ':'"],
    ["@:example.org", "empty localpart"],
    ["@alice:", "server name: empty"],
    ["@USER:matrix.org", "historical user IDs not accepted here"],
    ["@Alice:example.org", "historical user IDs not accepted here"],
    ["@al*ce:example.org", "historical user IDs not accepted here"],
    ["@al ice:example.org", "historical user IDs not accepted here"],
    ["@ålice:example.org", "historical user IDs not accepted here"],
    ["@a\u0000b:example.org", "may contain only"],
    ["@alice:exa mple.org", "server name: hostname may contain only"],
    ["@alice:1.2.3.256", "server name: malformed IPv4 literal"],
    ["@alice:::1", "server name: IPv6 literals must be enclosed"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(isValidUserId(input)).toBe(false);
    expect(() => parseUserId(input)).toThrow(reason);
  });

  it("limits the whole user ID to 255 bytes", () => {
    expect(userIdOfBytes(255)).toHaveLength(255);
    expect(isValidUserId(userIdOfBytes(255))).toBe(true);
    expect(() => parseUserId(userIdOfBytes(256))).toThrow("longer than 255 bytes");
  });

  it("throws InvalidIdentifierError with kind UserId", () => {
    try {
      parseUserId(42);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidIdentifierError);
      expect((e as InvalidIdentifierError).kind).toBe("UserId");
      expect((e as InvalidIdentifierError).name).toBe("InvalidIdentifierError");
      expect((e as InvalidIdentifierError).errcode).toBe("M_INVALID_PARAM");
    }
  });
});

describe("parseUserId (historical)", () => {
  const historical = { historical: true } as const;

  // Appendices, "Historical User IDs": any non-surrogate code points except ':' and NUL, including
  // control characters and the empty string.
  it.each([
    "@USER:matrix.org",
    "@Alice:example.org",
    "@al*ce:example.org",
    "@al ice:example.org",
    "@:example.org",
    "@ålice:example.org",
    "@\u0001ctrl:example.org",
    "@😀:example.org",
    "@!\"#$%&'()*,;<>?[]^`{|}~:example.org",
  ])("accepts %j only with the option", (input) => {
    expect(isValidUserId(input)).toBe(false);
    expect(isValidUserId(input, historical)).toBe(true);
    expect(parseUserId(input, historical)).toBe(input);
  });

  it.each([
    ["@a\u0000b:example.org", "NUL or a lone surrogate"],
    ["@\ud800:example.org", "NUL or a lone surrogate"],
    ["@a\udc00b:example.org", "NUL or a lone surrogate"],
    ["@Alice", "missing ':'"],
    ["@Alice:bad_server", "server name"],
  ])("still rejects %j", (input, reason) => {
    expect(() => parseUserId(input, historical)).toThrow(reason);
  });

  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    // "é" is 2 bytes: 1 + 121 * 2 + 12 = 255.
    const fits = `@${"é".repeat(121)}:example.org`;
    expect(isValidUserId(fits, historical)).toBe(true);
    expect(isValidUserId(`@x${fits.slice(1)}`, historical)).toBe(false);
    // "😀" is 4 bytes (2 code units): 1 + 60 * 4 + 2 + 12 = 255.
    const astral = `@${"😀".repeat(60)}ab:example.org`;
    expect(isValidUserId(astral, historical)).toBe(true);
    expect(isValidUserId(`@x${astral.slice(1)}`, historical)).toBe(false);
  });
});

describe("user ID helpers", () => {
  it("split at the first ':'", () => {
    const id = parseUserId("@bob:[::1]:8448");
    expect(userLocalpart(id)).toBe("bob");
    expect(userServerName(id)).toBe("[::1]:8448");
    expect(parseServerName(userServerName(id)).port).toBe(8448);
    const empty = parseUserId("@:example.org", { historical: true });
    expect(userLocalpart(empty)).toBe("");
    expect(userServerName(empty)).toBe("example.org");
  });

  it("classifies compliance", () => {
    expect(userIdCompliance(parseUserId("@alice:example.org"))).toBe("strict");
    expect(userIdCompliance(parseUserId("@Alice!:example.org", { historical: true }))).toBe("historical");
    expect(userIdCompliance(parseUserId("@:example.org", { historical: true }))).toBe("non-compliant");
    expect(userIdCompliance(parseUserId("@a b:example.org", { historical: true }))).toBe("non-compliant");
    expect(userIdCompliance(parseUserId("@ålice:example.org", { historical: true }))).toBe("non-compliant");
  });
});

describe("isValidLocalpartForRegistration", () => {
  it.each(["alice", "a", "0", "a.b_c=d-e/f+g", "a".repeat(252)])("accepts %s", (localpart) => {
    expect(isValidLocalpartForRegistration(localpart)).toBe(true);
  });

  it.each(["", "Alice", "ALICE", "al ice", "al:ice", "ålice", "al*ce", "a".repeat(253)])(
    "rejects %j",
    (localpart) => {
      expect(isValidLocalpartForRegistration(localpart)).toBe(false);
    },
  );

  it("checks the resulting user ID length against the server name", () => {
    const server = parseServerName("example.org").serverName;
    expect(isValidLocalpartForRegistration("a".repeat(242), server)).toBe(true);
    expect(isValidLocalpartForRegistration("a".repeat(243), server)).toBe(false);
  });
});

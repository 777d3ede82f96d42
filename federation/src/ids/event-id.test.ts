import { describe, expect, it } from "vitest";
import { eventIdServerName, InvalidIdentifierError, isValidEventId, parseEventId } from "./index.js";

// Examples from the room version 3 and 4 pages and the appendices' event-signing test vector.
const V3_EXAMPLE = "$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o";
const V3_WITH_SLASH = "$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk";
const V4_EXAMPLE = "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg";

describe("parseEventId", () => {
  it.each([
    ["$randomstring:example.org", "example.org"],
    ["$1234567890abcdef:matrix.org:8448", "matrix.org:8448"],
    ["$a b+/=:[::1]", "[::1]"],
  ])("accepts the v1/v2 form %s", (input, server) => {
    const id = parseEventId(input);
    expect(id).toBe(input);
    expect(eventIdServerName(id)).toBe(server);
    expect(isValidEventId(input, { format: "server-assigned" })).toBe(true);
    expect(isValidEventId(input, { format: "reference-hash-base64" })).toBe(false);
    expect(isValidEventId(input, { format: "reference-hash-urlsafe" })).toBe(false);
  });

  it("accepts the v3 (standard Base64) form", () => {
    for (const input of [V3_EXAMPLE, V3_WITH_SLASH, `$${"+".repeat(43)}`]) {
      expect(parseEventId(input)).toBe(input);
      expect(eventIdServerName(parseEventId(input))).toBeUndefined();
      expect(isValidEventId(input, { format: "reference-hash-base64" })).toBe(true);
      expect(isValidEventId(input, { format: "server-assigned" })).toBe(false);
    }
    expect(isValidEventId(V3_WITH_SLASH, { format: "reference-hash-urlsafe" })).toBe(false);
  });

  it("accepts the v4+ (URL-safe Base64) form", () => {
    expect(parseEventId(V4_EXAMPLE)).toBe(V4_EXAMPLE);
    expect(isValidEventId(V4_EXAMPLE, { format: "reference-hash-urlsafe" })).toBe(true);
    expect(isValidEventId(V4_EXAMPLE, { format: "reference-hash-base64" })).toBe(false);
    expect(eventIdServerName(parseEventId(V4_EXAMPLE))).toBeUndefined();
  });

  it.each([
    ["", "must start with '$'"],
    ["event:example.org", "must start with '$'"],
    ["!event:example.org", "must start with '$'"],
    ["$:example.org", "empty opaque ID"],
    ["$event:", "server name: empty"],
    ["$event:exa_mple.org", "server name"],
    ["$ev\u0000ent:example.org", "NUL or a lone surrogate"],
    ["$event", "expected '$opaque:server' or a 43-character"],
    ["$", "expected '$opaque:server' or a 43-character"],
    [`${V4_EXAMPLE}A`, "expected '$opaque:server' or a 43-character"],
    [V4_EXAMPLE.slice(0, -1), "expected '$opaque:server' or a 43-character"],
    [`${V3_EXAMPLE.slice(0, -1)}=`, "expected '$opaque:server' or a 43-character"],
    // Mixed alphabets are neither v3 nor v4.
    [`$${"+".repeat(21)}${"_".repeat(22)}`, "expected '$opaque:server' or a 43-character"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(isValidEventId(input)).toBe(false);
    expect(() => parseEventId(input)).toThrow(reason);
  });

  it("enforces a room version's format when asked", () => {
    expect(() => parseEventId(V4_EXAMPLE, { format: "server-assigned" })).toThrow("missing ':'");
    expect(() => parseEventId("$e:example.org", { format: "reference-hash-urlsafe" })).toThrow(
      "no server name",
    );
    expect(() => parseEventId(V3_WITH_SLASH, { format: "reference-hash-urlsafe" })).toThrow(
      "43-character URL-safe unpadded Base64",
    );
  });

  it("limits the whole event ID to 255 bytes", () => {
    const fits = `$${"a".repeat(255 - "$:example.org".length)}:example.org`;
    expect(isValidEventId(fits)).toBe(true);
    expect(() => parseEventId(`$a${fits.slice(1)}`)).toThrow("longer than 255 bytes");
  });

  it("throws InvalidIdentifierError with kind EventId", () => {
    try {
      parseEventId(undefined);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidIdentifierError);
      expect((e as InvalidIdentifierError).kind).toBe("EventId");
    }
  });
});

import { describe, expect, it } from "vitest";
import {
  InvalidIdentifierError,
  isValidRoomId,
  parseEventId,
  parseRoomId,
  roomIdFormat,
  roomIdFromCreateEventId,
  roomIdServerName,
} from "./index.js";

/** The v12 room ID used in the spec's examples. */
const V12_EXAMPLE = "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ";

describe("parseRoomId", () => {
  it.each([
    ["!room:example.org", "example.org"],
    ["!636q39766251:example.com", "example.com"],
    ["!AbC123:matrix.org:8448", "matrix.org:8448"],
    ["!x:[::1]", "[::1]"],
    ["!weird room with spaces & ünïcödé:1.2.3.4", "1.2.3.4"],
  ])("accepts the v1–v11 form %s", (input, server) => {
    const id = parseRoomId(input);
    expect(id).toBe(input);
    expect(roomIdServerName(id)).toBe(server);
    expect(roomIdFormat(id)).toBe("server-assigned");
    expect(isValidRoomId(input, { format: "server-assigned" })).toBe(true);
    expect(isValidRoomId(input, { format: "create-event-hash" })).toBe(false);
  });

  it.each([V12_EXAMPLE, `!${"A".repeat(43)}`, `!${"-_".repeat(21)}z`])("accepts the v12 form %s", (input) => {
    const id = parseRoomId(input);
    expect(id).toBe(input);
    expect(roomIdServerName(id)).toBeUndefined();
    expect(roomIdFormat(id)).toBe("create-event-hash");
    expect(isValidRoomId(input, { format: "create-event-hash" })).toBe(true);
    expect(isValidRoomId(input, { format: "server-assigned" })).toBe(false);
  });

  it.each([
    ["", "must start with '!'"],
    ["room:example.org", "must start with '!'"],
    ["$room:example.org", "must start with '!'"],
    ["!:example.org", "empty opaque ID"],
    ["!room:", "server name: empty"],
    ["!room:bad_server", "server name"],
    ["!ro\u0000om:example.org", "NUL or a lone surrogate"],
    ["!ro\ud800om:example.org", "NUL or a lone surrogate"],
    ["!room", "expected '!opaque:server' or a 43-character"],
    [`!${"A".repeat(42)}`, "expected '!opaque:server' or a 43-character"],
    [`!${"A".repeat(44)}`, "expected '!opaque:server' or a 43-character"],
    [`!${"A".repeat(42)}+`, "expected '!opaque:server' or a 43-character"],
    [`!${"A".repeat(42)}/`, "expected '!opaque:server' or a 43-character"],
    [`!${"A".repeat(42)}=`, "expected '!opaque:server' or a 43-character"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(isValidRoomId(input)).toBe(false);
    expect(() => parseRoomId(input)).toThrow(reason);
  });

  it("enforces a room version's format when asked", () => {
    expect(() => parseRoomId(V12_EXAMPLE, { format: "server-assigned" })).toThrow("missing ':'");
    expect(() => parseRoomId("!room:example.org", { format: "create-event-hash" })).toThrow("no server name");
    expect(() => parseRoomId("!short", { format: "create-event-hash" })).toThrow("URL-safe unpadded Base64");
  });

  it("limits the whole room ID to 255 bytes", () => {
    const fits = `!${"a".repeat(255 - "!:example.org".length)}:example.org`;
    expect(isValidRoomId(fits)).toBe(true);
    expect(() => parseRoomId(`!a${fits.slice(1)}`)).toThrow("longer than 255 bytes");
  });

  it("throws InvalidIdentifierError with kind RoomId", () => {
    expect(() => parseRoomId(null)).toThrow(InvalidIdentifierError);
    try {
      parseRoomId("nope");
    } catch (e) {
      expect((e as InvalidIdentifierError).kind).toBe("RoomId");
    }
  });
});

describe("roomIdFromCreateEventId", () => {
  it("swaps the sigil of a URL-safe hash event ID", () => {
    const eventId = parseEventId(`$${V12_EXAMPLE.slice(1)}`);
    expect(roomIdFromCreateEventId(eventId)).toBe(V12_EXAMPLE);
  });

  it("refuses event IDs that cannot name a v12 room", () => {
    expect(() => roomIdFromCreateEventId(parseEventId("$abc:example.org"))).toThrow(InvalidIdentifierError);
    expect(() =>
      roomIdFromCreateEventId(parseEventId("$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk")),
    ).toThrow(InvalidIdentifierError);
  });
});

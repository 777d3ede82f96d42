import { describe, expect, it } from "vitest";
import {
  InvalidIdentifierError,
  isValidRoomAlias,
  parseRoomAlias,
  roomAliasLocalpart,
  roomAliasServerName,
} from "./index.js";

describe("parseRoomAlias", () => {
  it.each([
    ["#room:example.org", "room", "example.org"],
    ["#Matrix HQ:matrix.org", "Matrix HQ", "matrix.org"],
    ["#ünïcödé 😀:example.org:8448", "ünïcödé 😀", "example.org:8448"],
    ["#a:1.2.3.4", "a", "1.2.3.4"],
    ["#a:[::1]:1", "a", "[::1]:1"],
  ])("accepts %s", (input, localpart, server) => {
    const alias = parseRoomAlias(input);
    expect(alias).toBe(input);
    expect(roomAliasLocalpart(alias)).toBe(localpart);
    expect(roomAliasServerName(alias)).toBe(server);
  });

  it.each([
    ["", "must start with '#'"],
    ["room:example.org", "must start with '#'"],
    ["!room:example.org", "must start with '#'"],
    ["#room", "missing ':'"],
    ["#:example.org", "empty localpart"],
    ["#room:", "server name: empty"],
    ["#room:::1", "server name: IPv6 literals must be enclosed"],
    ["#ro\u0000om:example.org", "NUL or a lone surrogate"],
    ["#ro\udfffom:example.org", "NUL or a lone surrogate"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(isValidRoomAlias(input)).toBe(false);
    expect(() => parseRoomAlias(input)).toThrow(reason);
  });

  it("limits the whole alias to 255 bytes", () => {
    const fits = `#${"é".repeat(121)}:example.org`;
    expect(isValidRoomAlias(fits)).toBe(true);
    expect(() => parseRoomAlias(`#a${fits.slice(1)}`)).toThrow("longer than 255 bytes");
  });

  it("throws InvalidIdentifierError with kind RoomAlias", () => {
    try {
      parseRoomAlias(7);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidIdentifierError);
      expect((e as InvalidIdentifierError).kind).toBe("RoomAlias");
    }
  });
});

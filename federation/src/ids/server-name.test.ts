import { describe, expect, it } from "vitest";
import { MatrixError } from "../errors/index.js";
import {
  formatServerName,
  InvalidIdentifierError,
  isIpv4Literal,
  isIpv6Literal,
  isValidServerName,
  parseServerName,
} from "./index.js";

describe("parseServerName", () => {
  // Appendices, "Server Name": the spec's own examples.
  it.each([
    ["matrix.org", "matrix.org", undefined, "dns"],
    ["matrix.org:8888", "matrix.org", 8888, "dns"],
    ["1.2.3.4", "1.2.3.4", undefined, "ipv4"],
    ["1.2.3.4:1234", "1.2.3.4", 1234, "ipv4"],
    ["[1234:5678::abcd]", "1234:5678::abcd", undefined, "ipv6"],
    ["[1234:5678::abcd]:5678", "1234:5678::abcd", 5678, "ipv6"],
  ] as const)("accepts the spec example %s", (input, host, port, kind) => {
    const parsed = parseServerName(input);
    expect(parsed).toEqual(
      port === undefined ? { serverName: input, host, kind } : { serverName: input, host, port, kind },
    );
    expect(parsed.serverName).toBe(input);
  });

  it.each([
    "localhost",
    "localhost:8448",
    "MATRIX.ORG",
    "a-b.c-d.example",
    "xn--bcher-kva.example",
    "0.0.0.0",
    "255.255.255.255:8448",
    "010.001.000.009",
    "1.2.3.4.example",
    "[::]",
    "[::1]:8448",
    "[::ffff:1.2.3.4]",
    "[::1.2.3.4]:1",
    "[2001:0db8:0000:0000:0000:ff00:0042:8329]",
    "[2001:DB8::8A2E:370:7334]",
    "[1:2:3:4:5:6:7::]",
    "[::2:3:4:5:6:7:8]",
    "[1:2:3:4:5:6:1.2.3.4]",
    "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]",
  ])("accepts %s", (input) => {
    expect(isValidServerName(input)).toBe(true);
    expect(parseServerName(input).serverName).toBe(input);
  });

  it.each([
    ["", "empty"],
    ["matrix.org:", "port must be 1 to 5 digits"],
    ["matrix.org:123456", "port must be 1 to 5 digits"],
    ["matrix.org:port", "port must be 1 to 5 digits"],
    ["matrix.org:-1", "port must be 1 to 5 digits"],
    ["matrix.org:+80", "port must be 1 to 5 digits"],
    ["matrix.org: 80", "port must be 1 to 5 digits"],
    [":8448", "empty hostname"],
    ["::1", "IPv6 literals must be enclosed"],
    ["1234:5678::abcd", "IPv6 literals must be enclosed"],
    ["2001:db8:0:0:0:0:0:1", "IPv6 literals must be enclosed"],
    ["[1234:5678::abcd", "no closing ']'"],
    ["[::1]x", "unexpected characters after the IPv6 literal"],
    ["[::1]:", "port must be 1 to 5 digits"],
    ["[]", "malformed IPv6 literal"],
    ["[:]", "malformed IPv6 literal"],
    ["[::1%eth0]", "malformed IPv6 literal"],
    ["[1:2:3:4:5:6:7:8:9]", "malformed IPv6 literal"],
    ["[1:2:3:4:5:6:7]", "malformed IPv6 literal"],
    ["[1:2:3:4:5:6:7:8::]", "malformed IPv6 literal"],
    ["[1::2::3]", "malformed IPv6 literal"],
    ["[:::]", "malformed IPv6 literal"],
    ["[12345::]", "malformed IPv6 literal"],
    ["[::g]", "malformed IPv6 literal"],
    ["[::ffff:1.2.3.256]", "malformed IPv6 literal"],
    ["[1:2:3:4:5:6:7:1.2.3.4]", "malformed IPv6 literal"],
    ["[1.2.3.4]", "malformed IPv6 literal"],
    ["[matrix.org]", "malformed IPv6 literal"],
    ["1.2.3.256", "malformed IPv4 literal"],
    ["256.0.0.1", "malformed IPv4 literal"],
    ["1.2.3", "malformed IPv4 literal"],
    ["1.2.3.4.5", "malformed IPv4 literal"],
    ["1234.1.1.1", "malformed IPv4 literal"],
    ["1..2.3", "malformed IPv4 literal"],
    ["exa mple.org", "only letters, digits"],
    ["exa_mple.org", "only letters, digits"],
    ["ex@mple.org", "only letters, digits"],
    ["éxample.org", "only letters, digits"],
    ["example.org/path", "only letters, digits"],
    ["a".repeat(256), "longer than 255"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(isValidServerName(input)).toBe(false);
    expect(() => parseServerName(input)).toThrow(reason);
  });

  it("follows the port grammar (1–5 digits), not the TCP port range", () => {
    expect(parseServerName("example.org:1").port).toBe(1);
    expect(parseServerName("example.org:65535").port).toBe(65535);
    expect(parseServerName("example.org:0").port).toBe(0);
    expect(parseServerName("example.org:99999").port).toBe(99999);
    expect(parseServerName("example.org:08448").port).toBe(8448);
    expect(isValidServerName("example.org:100000")).toBe(false);
  });

  it("limits the whole server name to 255 characters", () => {
    expect(isValidServerName("a".repeat(255))).toBe(true);
    expect(isValidServerName(`${"a".repeat(250)}:8448`)).toBe(true);
    expect(isValidServerName(`${"a".repeat(251)}:8448`)).toBe(false);
  });

  it("rejects non-strings", () => {
    for (const value of [undefined, null, 42, {}, ["matrix.org"]]) {
      expect(isValidServerName(value)).toBe(false);
      expect(() => parseServerName(value)).toThrow(InvalidIdentifierError);
    }
  });

  it("throws a typed InvalidIdentifierError mapped to M_INVALID_PARAM", () => {
    let error: unknown;
    try {
      parseServerName("::1");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidIdentifierError);
    expect(error).toBeInstanceOf(MatrixError);
    const e = error as InvalidIdentifierError;
    expect(e.name).toBe("InvalidIdentifierError");
    expect(e.kind).toBe("ServerName");
    expect(e.errcode).toBe("M_INVALID_PARAM");
    expect(e.status).toBe(400);
    expect(e.toJSON()).toEqual({ errcode: "M_INVALID_PARAM", error: e.message });
  });

  it("truncates long values in the error message", () => {
    expect(() => parseServerName("a".repeat(1000))).toThrow(/^Invalid ServerName "a{64}…": /);
  });
});

describe("isIpv4Literal / isIpv6Literal", () => {
  it("checks dotted quads", () => {
    expect(isIpv4Literal("127.0.0.1")).toBe(true);
    expect(isIpv4Literal("127.0.0.1 ")).toBe(false);
    expect(isIpv4Literal("127.0.0.-1")).toBe(false);
    expect(isIpv4Literal("0x7f.0.0.1")).toBe(false);
  });

  it("checks RFC 3513 text forms without brackets", () => {
    expect(isIpv6Literal("::1")).toBe(true);
    expect(isIpv6Literal("1::")).toBe(true);
    expect(isIpv6Literal("[::1]")).toBe(false);
    expect(isIpv6Literal("1:")).toBe(false);
    expect(isIpv6Literal(":1")).toBe(false);
    expect(isIpv6Literal(":1::")).toBe(false);
    expect(isIpv6Literal("1::2:")).toBe(false);
  });
});

describe("formatServerName", () => {
  it("is the inverse of parseServerName", () => {
    expect(formatServerName({ host: "1234:5678::abcd", port: 5678, kind: "ipv6" })).toBe(
      "[1234:5678::abcd]:5678",
    );
    expect(formatServerName({ host: "matrix.org", kind: "dns" })).toBe("matrix.org");
    expect(formatServerName({ host: "1.2.3.4", port: 80, kind: "ipv4" })).toBe("1.2.3.4:80");
  });

  it("rejects parts that do not make a server name of the stated kind", () => {
    expect(() => formatServerName({ host: "::1", kind: "dns" })).toThrow(InvalidIdentifierError);
    expect(() => formatServerName({ host: "1.2.3.4", kind: "dns" })).toThrow("host is ipv4, not dns");
  });
});

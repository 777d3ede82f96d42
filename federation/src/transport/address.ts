/**
 * Which IP addresses a server may connect to when another server names them: the guard against
 * server-side request forgery (a remote server name, `.well-known` delegation or SRV record pointing
 * federation traffic at our own network). Pure: takes an address, never resolves anything.
 */
import { isIpv4Literal, isIpv6Literal } from "../ids/index.js";

/** What kind of address an IP is, for deciding whether to connect to it. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved";

/** Classes refused even when private addresses are allowed: never the address of a server. */
const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(["unspecified", "multicast", "broadcast"]);

/** Thrown by {@link refuseUnsafeAddress}. Match on `.name` and `.addressClass`, not the message. */
export class UnsafeAddressError extends Error {
  override readonly name: string = "UnsafeAddressError";
  constructor(
    readonly address: string,
    /** The class of the address, or `"invalid"` when it is not an IP address at all. */
    readonly addressClass: AddressClass | "invalid",
  ) {
    super(`Refusing to connect to ${addressClass} address ${JSON.stringify(address)}`);
  }
}

/** An IPv4 range as [first octets..., prefix length]. */
type V4Range = readonly [number, number, number, number, number];

const V4_RANGES: ReadonlyArray<readonly [V4Range, AddressClass]> = [
  [[0, 0, 0, 0, 8], "unspecified"], // "this network"
  [[10, 0, 0, 0, 8], "private"],
  [[100, 64, 0, 0, 10], "shared"], // carrier-grade NAT
  [[127, 0, 0, 0, 8], "loopback"],
  [[169, 254, 0, 0, 16], "link-local"],
  [[172, 16, 0, 0, 12], "private"],
  [[192, 0, 0, 0, 24], "reserved"], // IETF protocol assignments
  [[192, 0, 2, 0, 24], "documentation"],
  [[192, 88, 99, 0, 24], "reserved"], // 6to4 relay anycast
  [[192, 168, 0, 0, 16], "private"],
  [[198, 18, 0, 0, 15], "reserved"], // benchmarking
  [[198, 51, 100, 0, 24], "documentation"],
  [[203, 0, 113, 0, 24], "documentation"],
  [[224, 0, 0, 0, 4], "multicast"],
  [[255, 255, 255, 255, 32], "broadcast"],
  [[240, 0, 0, 0, 4], "reserved"],
];

function v4Number(octets: readonly number[]): number {
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

function classifyV4(octets: readonly number[]): AddressClass {
  const value = v4Number(octets);
  for (const [range, cls] of V4_RANGES) {
    const bits = range[4];
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === (v4Number(range) & mask) >>> 0) return cls;
  }
  return "public";
}

/** The 16 bytes of an IPv6 literal (already checked by `isIpv6Literal`). */
function v6Bytes(text: string): number[] {
  let s = text;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded dotted quad stands for the last two groups.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number);
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = "", right] = s.split("::");
  const leftGroups = left === "" ? [] : left.split(":");
  const rightGroups = right === undefined || right === "" ? [] : right.split(":");
  const zeros = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(zeros).fill("0"), ...rightGroups];
  const bytes: number[] = [];
  for (const g of groups) {
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

function classifyV6(b: readonly number[]): AddressClass {
  const zeroPrefix = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(16)) return "unspecified";
  if (zeroPrefix(15) && b[15] === 1) return "loopback";
  // IPv4-mapped (::ffff:0:0/96) and IPv4-compatible (::/96, deprecated): judge the embedded address.
  if (zeroPrefix(10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  if (zeroPrefix(12)) return classifyV4(b.slice(12));
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that the gateway connects to.
  if (
    b[0] === 0x00 &&
    b[1] === 0x64 &&
    b[2] === 0xff &&
    b[3] === 0x9b &&
    b.slice(4, 12).every((x) => x === 0)
  ) {
    return classifyV4(b.slice(12));
  }
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b.slice(2, 6));
  const first = b[0]!;
  const second = b[1]!;
  if (first === 0xff) return "multicast";
  if (first === 0xfe && (second & 0xc0) === 0x80) return "link-local"; // fe80::/10
  if (first === 0xfe && (second & 0xc0) === 0xc0) return "private"; // fec0::/10, deprecated site-local
  if ((first & 0xfe) === 0xfc) return "unique-local"; // fc00::/7
  if (first === 0x20 && second === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return "documentation";
  if (first === 0x01 && second === 0x00 && zeroPrefix(8)) return "reserved"; // 100::/64 discard
  return "public";
}

/**
 * Classifies an IP address (dotted-quad IPv4, or IPv6 with or without brackets and zone ID).
 * Returns undefined when `address` is not an IP address.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  let text = address;
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  if (isIpv4Literal(text)) return classifyV4(text.split(".").map(Number));
  if (isIpv6Literal(text)) return classifyV6(v6Bytes(text));
  return undefined;
}

/**
 * Throws {@link UnsafeAddressError} unless a federation request may connect to `address`.
 *
 * Always refused: anything that is not an IP address, unspecified (`0.0.0.0/8`, `::`), multicast
 * and broadcast. Refused unless `allowPrivate` (test networks, private clusters): loopback, private
 * (RFC 1918, site-local), carrier-grade NAT, link-local, unique-local IPv6, documentation and other
 * reserved ranges. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 addresses are judged by the
 * IPv4 address they embed.
 */
export function refuseUnsafeAddress(address: string, allowPrivate: boolean): void {
  const cls = classifyAddress(address);
  if (cls === undefined) throw new UnsafeAddressError(address, "invalid");
  if (cls === "public") return;
  if (ALWAYS_REFUSED.has(cls) || !allowPrivate) throw new UnsafeAddressError(address, cls);
}

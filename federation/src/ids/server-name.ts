/**
 * Server names (appendices, "Identifier Grammar" → "Server Name").
 *
 *     server_name = hostname [ ":" port ]
 *     port        = 1*5DIGIT
 *     hostname    = IPv4address / "[" IPv6address "]" / dns-name
 *     IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
 *     IPv6address = 2*45IPv6char
 *     dns-name    = 1*255dns-char
 *
 * Server names are case-sensitive and are never normalised: the branded string is exactly the input.
 */
import { InvalidIdentifierError } from "./errors.js";
import { type Check, fail, pass } from "./grammar.js";

/** A server name that has passed {@link parseServerName}. */
export type ServerName = string & { readonly __brand: "ServerName" };

/** Which form of hostname a server name uses. */
export type ServerNameKind = "dns" | "ipv4" | "ipv6";

/** A server name taken apart. */
export interface ParsedServerName {
  /** The whole server name, exactly as given. */
  readonly serverName: ServerName;
  /** The hostname: a DNS name, a dotted-quad IPv4 literal, or an IPv6 literal *without* its brackets. */
  readonly host: string;
  /**
   * The explicit port, if any. Only the grammar (1–5 digits) is checked, so this may be 0 or above
   * 65535; whoever connects to the server must range-check it.
   */
  readonly port?: number;
  /** Which form `host` takes. */
  readonly kind: ServerNameKind;
}

/** The longest server name accepted, in characters (all valid server names are ASCII). */
export const MAX_SERVER_NAME_LENGTH = 255;

const DNS_NAME = /^[A-Za-z0-9.-]+$/;
const PORT = /^[0-9]{1,5}$/;
const IPV4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Whether `s` is a dotted-quad IPv4 literal: four decimal numbers 0–255 of 1–3 digits ("Server Name"). */
export function isIpv4Literal(s: string): boolean {
  const match = IPV4.exec(s);
  if (match === null) return false;
  for (let i = 1; i <= 4; i++) if (Number(match[i]) > 255) return false;
  return true;
}

function isHexGroups(s: string, min: number, max: number): boolean {
  if (s === "") return min === 0;
  const groups = s.split(":");
  return groups.length >= min && groups.length <= max && groups.every((g) => IPV6_GROUP.test(g));
}

/**
 * Whether `s` is an IPv6 address in the text form of RFC 3513 section 2.2 (which "Server Name"
 * requires): eight groups of 1–4 hex digits, or fewer with one `::`, optionally ending in an
 * embedded dotted-quad IPv4 address. No brackets, no zone ID.
 */
export function isIpv6Literal(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const lastColon = s.lastIndexOf(":");
  if (lastColon === -1) return false;
  let text = s;
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 address stands for the last two 16-bit groups.
    if (!isIpv4Literal(tail)) return false;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const gap = text.indexOf("::");
  if (gap === -1) return isHexGroups(text, 8, 8);
  if (text.indexOf("::", gap + 1) !== -1) return false;
  const left = text.slice(0, gap);
  const right = text.slice(gap + 2);
  if (!isHexGroups(left, 0, 7) || !isHexGroups(right, 0, 7)) return false;
  const count = (left === "" ? 0 : left.split(":").length) + (right === "" ? 0 : right.split(":").length);
  // `::` stands for at least one group of zeros.
  return count <= 7;
}

/** Checks `input` against the "Server Name" grammar without throwing. */
export function checkServerName(input: unknown): Check<ParsedServerName> {
  if (typeof input !== "string") return fail("not a string");
  if (input.length === 0) return fail("empty");
  // NOTSPEC: the grammar bounds only the dns-name at 255 characters; we bound the whole server name
  // (with its port), as no identifier containing a longer one could fit in 255 bytes anyway.
  if (input.length > MAX_SERVER_NAME_LENGTH) return fail(`longer than ${MAX_SERVER_NAME_LENGTH} characters`);

  let host: string;
  let portText: string | undefined;
  let kind: ServerNameKind;
  if (input.startsWith("[")) {
    const close = input.indexOf("]");
    if (close === -1) return fail("IPv6 literal has no closing ']'");
    host = input.slice(1, close);
    const rest = input.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return fail("unexpected characters after the IPv6 literal");
      portText = rest.slice(1);
    }
    if (!isIpv6Literal(host)) return fail("malformed IPv6 literal");
    kind = "ipv6";
  } else {
    const colon = input.indexOf(":");
    host = colon === -1 ? input : input.slice(0, colon);
    if (colon !== -1) {
      portText = input.slice(colon + 1);
      if (portText.includes(":")) return fail("IPv6 literals must be enclosed in '[' and ']'");
    }
    if (host === "") return fail("empty hostname");
    if (!DNS_NAME.test(host)) return fail("hostname may contain only letters, digits, '-' and '.'");
    const lastLabel = host.slice(host.lastIndexOf(".") + 1);
    // NOTSPEC: the dns-name rule alone would admit `1.2.3.256` or `1.2.3`. A hostname whose last label
    // is all digits is not a DNS name (no top-level domain is numeric), so we read it as an IPv4
    // literal and require that to be well formed.
    if (ALL_DIGITS.test(lastLabel)) {
      if (!isIpv4Literal(host)) return fail("malformed IPv4 literal");
      kind = "ipv4";
    } else {
      kind = "dns";
    }
  }

  const serverName = input as ServerName;
  if (portText === undefined) return pass({ serverName, host, kind });
  if (!PORT.test(portText)) return fail("port must be 1 to 5 digits");
  return pass({ serverName, host, port: Number(portText), kind });
}

/**
 * Validates a server name ("Server Name") and takes it apart. `.serverName` is the input, branded and
 * unchanged.
 *
 * @throws {@link InvalidIdentifierError} with kind `"ServerName"` if `input` is not a valid server name.
 */
export function parseServerName(input: unknown): ParsedServerName {
  const checked = checkServerName(input);
  if (!checked.ok) throw new InvalidIdentifierError("ServerName", input, checked.reason);
  return checked.value;
}

/** Whether `input` is a valid server name ("Server Name"). */
export function isValidServerName(input: unknown): input is ServerName {
  return checkServerName(input).ok;
}

/**
 * Writes a server name from its parts: the inverse of {@link parseServerName} (brackets an IPv6
 * host). Validates the result.
 *
 * @throws {@link InvalidIdentifierError} if the parts do not make a valid server name.
 */
export function formatServerName(parts: Pick<ParsedServerName, "host" | "port" | "kind">): ServerName {
  const host = parts.kind === "ipv6" ? `[${parts.host}]` : parts.host;
  const text = parts.port === undefined ? host : `${host}:${parts.port}`;
  const parsed = parseServerName(text);
  if (parsed.kind !== parts.kind) {
    throw new InvalidIdentifierError("ServerName", text, `host is ${parsed.kind}, not ${parts.kind}`);
  }
  return parsed.serverName;
}

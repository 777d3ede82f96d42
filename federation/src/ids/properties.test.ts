import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatServerName,
  InvalidIdentifierError,
  isValidEventId,
  isValidRoomAlias,
  isValidRoomId,
  isValidServerName,
  isValidUserId,
  parseEventId,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
  roomIdServerName,
  type ServerNameKind,
  userLocalpart,
  userServerName,
  utf8ByteLength,
} from "./index.js";

/** A valid server name, with the parts it should parse into. */
interface GeneratedServerName {
  readonly text: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly kind: ServerNameKind;
}

const hostArb: fc.Arbitrary<{ host: string; kind: ServerNameKind }> = fc.oneof(
  fc.domain().map((host) => ({ host, kind: "dns" as const })),
  fc.ipV4().map((host) => ({ host, kind: "ipv4" as const })),
  fc.ipV6().map((host) => ({ host, kind: "ipv6" as const })),
);

const serverNameArb: fc.Arbitrary<GeneratedServerName> = fc
  .record({ h: hostArb, port: fc.option(fc.integer({ min: 0, max: 99999 }), { nil: undefined }) })
  .map(({ h, port }) => {
    const bracketed = h.kind === "ipv6" ? `[${h.host}]` : h.host;
    return {
      text: port === undefined ? bracketed : `${bracketed}:${port}`,
      host: h.host,
      port,
      kind: h.kind,
    };
  })
  .filter((s) => s.text.length <= 255);

const strictLocalpartArb = fc.stringMatching(/^[a-z0-9._=\-/+]{1,40}$/);

/** Arbitrary input, biased towards things that look like identifiers. */
const noisyIdentifierArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom("@", "!", "$", "#", ""),
      fc.string({
        unit: fc.constantFrom("a", "Z", "0", ":", ".", "[", "]", "-", "_", "/", "+", "\u0000", "é"),
        maxLength: 60,
      }),
    )
    .map(([sigil, rest]) => sigil + rest),
);

/** Checks that `parse` and `isValid` agree on `input`, and that `parse` only throws the typed error. */
function agrees(
  input: unknown,
  parse: (input: unknown) => unknown,
  isValid: (input: unknown) => boolean,
): void {
  let threw: unknown;
  try {
    expect(parse(input)).toBe(input);
  } catch (e) {
    threw = e;
  }
  if (threw !== undefined) expect(threw).toBeInstanceOf(InvalidIdentifierError);
  expect(isValid(input)).toBe(threw === undefined);
}

describe("properties", () => {
  it("every generated valid server name parses and round-trips", () => {
    fc.assert(
      fc.property(serverNameArb, (s) => {
        const parsed = parseServerName(s.text);
        expect(parsed.serverName).toBe(s.text);
        expect(parsed.host).toBe(s.host);
        expect(parsed.port).toBe(s.port);
        expect(parsed.kind).toBe(s.kind);
        expect(formatServerName(parsed)).toBe(s.text);
      }),
    );
  });

  it("an unbracketed IPv6 literal is never a valid server name", () => {
    fc.assert(fc.property(fc.ipV6(), (ip) => !isValidServerName(ip)));
  });

  it("strict user IDs parse, split back into their parts, and are also valid historical IDs", () => {
    fc.assert(
      fc.property(strictLocalpartArb, serverNameArb, (localpart, server) => {
        const text = `@${localpart}:${server.text}`;
        fc.pre(utf8ByteLength(text) <= 255);
        const id = parseUserId(text);
        expect(userLocalpart(id)).toBe(localpart);
        expect(userServerName(id)).toBe(server.text);
        expect(isValidUserId(text, { historical: true })).toBe(true);
      }),
    );
  });

  it("historical localparts are any code points but ':' and NUL", () => {
    const localpartArb = fc
      .string({ unit: "grapheme", maxLength: 30 })
      .filter((s) => !s.includes(":") && !s.includes("\u0000"));
    fc.assert(
      fc.property(localpartArb, (localpart) => {
        const text = `@${localpart}:example.org`;
        fc.pre(utf8ByteLength(text) <= 255);
        const id = parseUserId(text, { historical: true });
        expect(userLocalpart(id)).toBe(localpart);
      }),
    );
  });

  it("hash room and event IDs from any 32-byte digest parse", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const urlSafe = Buffer.from(digest).toString("base64url");
        const standard = Buffer.from(digest).toString("base64").replace(/=+$/, "");
        expect(roomIdServerName(parseRoomId(`!${urlSafe}`, { format: "create-event-hash" }))).toBeUndefined();
        expect(parseEventId(`$${urlSafe}`, { format: "reference-hash-urlsafe" })).toBe(`$${urlSafe}`);
        expect(parseEventId(`$${standard}`, { format: "reference-hash-base64" })).toBe(`$${standard}`);
      }),
    );
  });

  it("parse and isValid agree on arbitrary input, and parse throws only InvalidIdentifierError", () => {
    fc.assert(
      fc.property(noisyIdentifierArb, (input) => {
        agrees(input, (s) => parseServerName(s).serverName, isValidServerName);
        agrees(
          input,
          (s) => parseUserId(s),
          (s) => isValidUserId(s),
        );
        agrees(
          input,
          (s) => parseUserId(s, { historical: true }),
          (s) => isValidUserId(s, { historical: true }),
        );
        agrees(
          input,
          (s) => parseRoomId(s),
          (s) => isValidRoomId(s),
        );
        agrees(
          input,
          (s) => parseEventId(s),
          (s) => isValidEventId(s),
        );
        agrees(input, parseRoomAlias, isValidRoomAlias);
        if (isValidUserId(input)) expect(isValidUserId(input, { historical: true })).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

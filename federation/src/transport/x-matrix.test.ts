import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, naclEd25519, signingKeyFromSeed, verifyJson } from "../crypto/index.js";
import { MatrixError } from "../errors/index.js";
import type { KnownVerifyKey } from "../events/index.js";
import {
  formatXMatrixHeader,
  parseXMatrixHeader,
  RequestAuthenticationError,
  requestSigningJson,
  signRequest,
  verifyRequest,
  XMatrixHeaderError,
} from "./x-matrix.js";

// The spec's test signing key (appendices, "Signing Key").
const SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
const key = signingKeyFromSeed("ed25519:1", SEED);
const ORIGIN = "origin.hs.example.com";
const DEST = "destination.hs.example.com";

const getRequest = {
  method: "GET",
  uri: "/_matrix/federation/v1/version",
  origin: ORIGIN,
  destination: DEST,
};
const GET_HEADER =
  'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:1",' +
  'sig="Mb8+kifPyx8HNTRgyZl7sVpc0vYZlRn6znNGD0C4mQqUlUIMKKlIt2pu5xuljDwPrHIhLUPBwkVXZoBWdVu6Bg"';

const putContent = {
  pdus: [],
  edus: [
    {
      edu_type: "m.typing",
      content: { room_id: "!r:origin.hs.example.com", user_id: "@u:origin.hs.example.com", typing: true },
    },
  ],
  origin: ORIGIN,
  origin_server_ts: 1700000000000,
};
const putRequest = {
  method: "PUT",
  uri: "/_matrix/federation/v1/send/txn1?x=1&y=%20",
  origin: ORIGIN,
  destination: DEST,
  content: putContent,
};
const PUT_SIG = "CrNuz9My2lGZI3bw2nr6Uni0tfXUC/VD2kVDeo6j/KzYrzMkzvy+CAdLoaxwU6yQ41UzZ70/g2LaoMxZnWEAAA";

const lookup = (server: string, keyId: string): KnownVerifyKey | undefined =>
  server === ORIGIN && keyId === "ed25519:1"
    ? { publicKey: key.publicKey, validUntilTs: 2_000_000_000_000 }
    : undefined;

describe("signRequest", () => {
  it("uses the spec's test key", () => {
    expect(encodeBase64(key.publicKey)).toBe("XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
  });

  it("produces the fixed vector for a GET without content", () => {
    expect(signRequest(getRequest, key)).toBe(GET_HEADER);
  });

  it("produces the fixed vector for a PUT with content and a query string", () => {
    expect(parseXMatrixHeader(signRequest(putRequest, key)).sig).toBe(PUT_SIG);
  });

  it("matches an independent signature over the hand-written canonical JSON", () => {
    const canonical =
      '{"content":{"edus":[{"content":{"room_id":"!r:origin.hs.example.com","typing":true,' +
      '"user_id":"@u:origin.hs.example.com"},"edu_type":"m.typing"}],"origin":"origin.hs.example.com",' +
      '"origin_server_ts":1700000000000,"pdus":[]},"destination":"destination.hs.example.com",' +
      '"method":"PUT","origin":"origin.hs.example.com","uri":"/_matrix/federation/v1/send/txn1?x=1&y=%20"}';
    const secret = nacl.sign.keyPair.fromSeed(decodeBase64(SEED)).secretKey;
    const sig = encodeBase64(nacl.sign.detached(new TextEncoder().encode(canonical), secret));
    expect(sig).toBe(PUT_SIG);
  });

  it("verifies with verifyJson over the JSON rebuilt from the parsed header", () => {
    for (const request of [getRequest, putRequest]) {
      const auth = parseXMatrixHeader(signRequest(request, key));
      const json = {
        ...requestSigningJson(request),
        signatures: { [auth.origin]: { [auth.key]: auth.sig } },
      };
      expect(verifyJson(json, ORIGIN, "ed25519:1", key.publicKey, naclEd25519)).toBe(true);
    }
  });

  it("leaves content out when absent but signs an empty object body", () => {
    expect(requestSigningJson(getRequest)).not.toHaveProperty("content");
    expect(requestSigningJson({ ...getRequest, method: "POST", content: {} })).toHaveProperty("content", {});
    expect(signRequest({ ...getRequest, content: {} }, key)).not.toBe(GET_HEADER);
  });
});

describe("parseXMatrixHeader", () => {
  const expected = { origin: ORIGIN, destination: DEST, key: "ed25519:1", sig: "ABCDEF" };

  it("parses the spec's example", () => {
    expect(
      parseXMatrixHeader(
        'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:1",sig="ABCDEF"',
      ),
    ).toEqual(expected);
  });

  it("accepts spaces and tabs around commas, several spaces after the scheme, any order", () => {
    expect(
      parseXMatrixHeader(
        `X-Matrix   sig="ABCDEF" ,\tkey="ed25519:1"\t, destination="${DEST}",origin="${ORIGIN}"  `,
      ),
    ).toEqual(expected);
  });

  it("treats parameter names and the scheme case-insensitively", () => {
    expect(
      parseXMatrixHeader(`x-matrix ORIGIN="${ORIGIN}",Destination="${DEST}",KEY="ed25519:1",Sig="ABCDEF"`),
    ).toEqual(expected);
  });

  it("accepts token values and, for older servers, colons in unquoted values", () => {
    expect(
      parseXMatrixHeader(`X-Matrix origin=${ORIGIN},destination=${DEST},key=ed25519:1,sig=ABCDEF`),
    ).toEqual(expected);
    expect(parseXMatrixHeader("X-Matrix origin=h.org:8448,key=ed25519:1,sig=AB").origin).toBe("h.org:8448");
  });

  it("unescapes quoted-pairs", () => {
    const auth = parseXMatrixHeader('X-Matrix origin="a\\"b\\\\c\\d",key="ed25519:1",sig="x"');
    expect(auth.origin).toBe('a"b\\cd');
  });

  it("round-trips formatXMatrixHeader with characters that need escaping", () => {
    const auth = { origin: 'we"ird\\', key: "ed25519:1", sig: "x" };
    expect(parseXMatrixHeader(formatXMatrixHeader(auth))).toEqual(auth);
  });

  it("ignores unknown parameters and empty list elements; destination is optional", () => {
    expect(
      parseXMatrixHeader(`X-Matrix origin="${ORIGIN}",,foo="bar", ,key="ed25519:1",sig="ABCDEF",`),
    ).toEqual({
      origin: ORIGIN,
      key: "ed25519:1",
      sig: "ABCDEF",
    });
  });

  it.each([
    ["another scheme", 'Bearer origin="a",key="k",sig="s"'],
    ["scheme without space", 'X-Matrixorigin="a",key="k",sig="s"'],
    ["scheme prefix", 'X-Matrix2 origin="a",key="k",sig="s"'],
    ["missing origin", 'X-Matrix key="k",sig="s"'],
    ["missing key", 'X-Matrix origin="a",sig="s"'],
    ["missing sig", 'X-Matrix origin="a",key="k"'],
    ["unterminated quote", 'X-Matrix origin="a,key="k",sig="s'],
    ["dangling backslash", 'X-Matrix origin="a",key="k",sig="s\\'],
    ["no separator", 'X-Matrix origin="a" key="k",sig="s"'],
    ["junk after a quoted value", 'X-Matrix origin="a"b,key="k",sig="s"'],
    ["no equals", 'X-Matrix origin,key="k",sig="s"'],
    ["empty value", 'X-Matrix origin=,key="k",sig="s"'],
    ["no name", 'X-Matrix ="a",key="k",sig="s"'],
    ["control character in quotes", 'X-Matrix origin="a\u0001",key="k",sig="s"'],
    ["slash in a token", 'X-Matrix origin="a",key="k",sig=ab/c'],
    ["repeated parameter", 'X-Matrix origin="a",origin="b",key="k",sig="s"'],
    ["repeated parameter, other case", 'X-Matrix origin="a",Origin="a",key="k",sig="s"'],
    ["empty", ""],
  ])("rejects %s", (_label, header) => {
    expect(() => parseXMatrixHeader(header)).toThrow(XMatrixHeaderError);
  });

  it("throws an error with a stable name", () => {
    try {
      parseXMatrixHeader("nope");
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe("XMatrixHeaderError");
    }
  });
});

describe("verifyRequest", () => {
  const now = 1_800_000_000_000;
  const received = (
    request: typeof getRequest & { content?: unknown },
    authorization: string | string[],
  ) => ({
    method: request.method,
    uri: request.uri,
    destination: DEST,
    ...(request.content === undefined ? {} : { content: request.content }),
    authorization,
    now,
  });

  async function failure(promise: Promise<unknown>): Promise<RequestAuthenticationError> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(RequestAuthenticationError);
      expect(err).toBeInstanceOf(MatrixError);
      const e = err as RequestAuthenticationError;
      expect(e.errcode).toBe("M_UNAUTHORIZED");
      expect(e.status).toBe(401);
      return e;
    }
    throw new Error("expected verifyRequest to throw");
  }

  it("accepts the fixed vectors", async () => {
    await expect(verifyRequest(received(getRequest, GET_HEADER), lookup)).resolves.toEqual({
      origin: ORIGIN,
    });
    const put = signRequest(putRequest, key);
    await expect(verifyRequest(received(putRequest, [put]), lookup)).resolves.toEqual({ origin: ORIGIN });
  });

  it("accepts an async lookup and ignores Authorization headers of other schemes", async () => {
    const asyncLookup = async (s: string, k: string) => lookup(s, k);
    await expect(
      verifyRequest(received(getRequest, ["Bearer abc", GET_HEADER]), asyncLookup),
    ).resolves.toEqual({
      origin: ORIGIN,
    });
  });

  it("accepts a header without destination (servers before v1.3) signed for us", async () => {
    const auth = parseXMatrixHeader(GET_HEADER);
    const header = formatXMatrixHeader({ origin: auth.origin, key: auth.key, sig: auth.sig });
    await expect(verifyRequest(received(getRequest, header), lookup)).resolves.toEqual({ origin: ORIGIN });
  });

  it("refuses a missing header", async () => {
    expect((await failure(verifyRequest(received(getRequest, []), lookup))).reason).toBe("missing");
    expect(
      (await failure(verifyRequest({ ...received(getRequest, []), authorization: undefined }, lookup)))
        .reason,
    ).toBe("missing");
    expect((await failure(verifyRequest(received(getRequest, "Bearer x"), lookup))).reason).toBe("missing");
  });

  it("refuses a malformed header", async () => {
    expect((await failure(verifyRequest(received(getRequest, 'X-Matrix origin="a"'), lookup))).reason).toBe(
      "malformed",
    );
  });

  it("refuses a header naming another destination", async () => {
    const header = signRequest({ ...getRequest, destination: "other.example.com" }, key);
    expect((await failure(verifyRequest(received(getRequest, header), lookup))).reason).toBe(
      "wrong-destination",
    );
  });

  it("refuses a signature made for another destination even without the destination parameter", async () => {
    const auth = parseXMatrixHeader(signRequest({ ...getRequest, destination: "other.example.com" }, key));
    const header = formatXMatrixHeader({ origin: auth.origin, key: auth.key, sig: auth.sig });
    expect((await failure(verifyRequest(received(getRequest, header), lookup))).reason).toBe("bad-signature");
  });

  it("refuses an invalid origin and headers with different origins", async () => {
    const bad = formatXMatrixHeader({
      origin: "not a server",
      destination: DEST,
      key: "ed25519:1",
      sig: "x",
    });
    expect((await failure(verifyRequest(received(getRequest, bad), lookup))).reason).toBe("invalid-origin");
    const other = signRequest({ ...getRequest, origin: "evil.example.com" }, key);
    expect((await failure(verifyRequest(received(getRequest, [GET_HEADER, other]), lookup))).reason).toBe(
      "origin-mismatch",
    );
  });

  it("refuses unknown keys and other algorithms", async () => {
    const other = signRequest(getRequest, signingKeyFromSeed("ed25519:2", SEED));
    expect((await failure(verifyRequest(received(getRequest, other), lookup))).reason).toBe("unknown-key");
    const auth = parseXMatrixHeader(GET_HEADER);
    const curve = formatXMatrixHeader({ ...auth, key: "curve25519:1" });
    expect((await failure(verifyRequest(received(getRequest, curve), lookup))).reason).toBe("unknown-key");
  });

  it("refuses old verify keys and keys past valid_until_ts", async () => {
    const old = () => ({ publicKey: key.publicKey, expiredTs: now - 1 });
    expect((await failure(verifyRequest(received(getRequest, GET_HEADER), old))).reason).toBe("expired-key");
    const stale = () => ({ publicKey: key.publicKey, validUntilTs: now - 1 });
    expect((await failure(verifyRequest(received(getRequest, GET_HEADER), stale))).reason).toBe(
      "expired-key",
    );
  });

  it("refuses a signature over anything else than what was received", async () => {
    const put = signRequest(putRequest, key);
    const cases = [
      received({ ...putRequest, method: "POST" }, put),
      received({ ...putRequest, uri: "/_matrix/federation/v1/send/txn2?x=1&y=%20" }, put),
      received({ ...putRequest, uri: "/_matrix/federation/v1/send/txn1?x=1&y=+" }, put),
      received({ ...putRequest, content: { ...putContent, pdus: [{}] } }, put),
      received({ ...putRequest, content: undefined } as never, put),
      received(getRequest, signRequest({ ...getRequest, content: {} }, key)),
    ];
    for (const request of cases) {
      expect((await failure(verifyRequest(request, lookup))).reason).toBe("bad-signature");
    }
  });

  it("refuses a wrong key's signature and a corrupt signature", async () => {
    const wrongKey = () => ({ publicKey: new Uint8Array(32).fill(7) });
    expect((await failure(verifyRequest(received(getRequest, GET_HEADER), wrongKey))).reason).toBe(
      "bad-signature",
    );
    const auth = parseXMatrixHeader(GET_HEADER);
    const corrupt = formatXMatrixHeader({ ...auth, sig: "!!notbase64" });
    expect((await failure(verifyRequest(received(getRequest, corrupt), lookup))).reason).toBe(
      "bad-signature",
    );
  });

  it("requires every X-Matrix header to verify", async () => {
    const auth = parseXMatrixHeader(GET_HEADER);
    const bad = formatXMatrixHeader({ ...auth, sig: auth.sig.replace(/^./, (c) => (c === "A" ? "B" : "A")) });
    expect((await failure(verifyRequest(received(getRequest, [GET_HEADER, bad]), lookup))).reason).toBe(
      "bad-signature",
    );
  });

  it("refuses content that is not canonical JSON (a float) as a bad signature", async () => {
    const header = signRequest({ ...getRequest, method: "POST", content: {} }, key);
    const request = { ...received({ ...getRequest, method: "POST" }, header), content: { a: 1.5 } };
    expect((await failure(verifyRequest(request, lookup))).reason).toBe("bad-signature");
  });
});

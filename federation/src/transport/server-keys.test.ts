import { describe, expect, it } from "vitest";
import { encodeBase64, naclEd25519, signingKeyFromSeed, signJson, verifyJson } from "../crypto/index.js";
import {
  buildServerKeys,
  MAX_KEY_VALIDITY_MS,
  ServerKeysError,
  verifyNotaryResponse,
  verifyServerKeys,
} from "./server-keys.js";

const SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
const key = signingKeyFromSeed("ed25519:1", SEED);
const key2 = signingKeyFromSeed("ed25519:2", new Uint8Array(32).fill(2));
const notaryKey = signingKeyFromSeed("ed25519:n", new Uint8Array(32).fill(9));
const oldKey = signingKeyFromSeed("ed25519:old", new Uint8Array(32).fill(3));
const now = 1_700_000_000_000;
const validUntilTs = now + 24 * 60 * 60 * 1000;

const published = buildServerKeys({
  serverName: "domain",
  key,
  oldKeys: [{ keyId: oldKey.keyId, publicKey: oldKey.publicKey, expiredTs: now - 1000 }],
  validUntilTs,
});

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ServerKeysError);
    expect((err as Error).name).toBe("ServerKeysError");
    return (err as ServerKeysError).reason;
  }
  throw new Error("expected a ServerKeysError");
}

describe("buildServerKeys", () => {
  it("has the shape of definitions/keys.yaml and is self-signed", () => {
    expect(published).toMatchObject({
      server_name: "domain",
      verify_keys: { "ed25519:1": { key: "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI" } },
      old_verify_keys: { "ed25519:old": { key: encodeBase64(oldKey.publicKey), expired_ts: now - 1000 } },
      valid_until_ts: validUntilTs,
    });
    expect(Object.keys(published.signatures)).toEqual(["domain"]);
    expect(verifyJson(published, "domain", "ed25519:1", key.publicKey, naclEd25519)).toBe(true);
  });

  it("signs with every current key and publishes an empty old_verify_keys (Synapse requires it)", () => {
    const both = buildServerKeys({ serverName: "domain", key: [key, key2], oldKeys: [], validUntilTs });
    expect(Object.keys(both.signatures.domain!).sort()).toEqual(["ed25519:1", "ed25519:2"]);
    expect(both.old_verify_keys).toEqual({});
    expect(buildServerKeys({ serverName: "domain", key, validUntilTs }).old_verify_keys).toEqual({});
    expect(verifyServerKeys(both, "domain", now).verifyKeys.size).toBe(2);
    expect(() => buildServerKeys({ serverName: "domain", key: [], validUntilTs })).toThrow(TypeError);
  });
});

describe("verifyServerKeys", () => {
  it("returns current and old keys", () => {
    const result = verifyServerKeys(published, "domain", now);
    expect(result.serverName).toBe("domain");
    expect(result.validUntilTs).toBe(validUntilTs);
    expect(result.verifyKeys.get("ed25519:1")).toEqual({ publicKey: key.publicKey, validUntilTs });
    expect(result.verifyKeys.get("ed25519:old")).toEqual({
      publicKey: oldKey.publicKey,
      expiredTs: now - 1000,
    });
    expect(result.raw).toBe(published);
  });

  it("caps valid_until_ts at seven days from now", () => {
    const far = buildServerKeys({ serverName: "domain", key, validUntilTs: now + 365 * MAX_KEY_VALIDITY_MS });
    const result = verifyServerKeys(far, "domain", now);
    expect(result.validUntilTs).toBe(now + MAX_KEY_VALIDITY_MS);
    expect(result.verifyKeys.get("ed25519:1")?.validUntilTs).toBe(now + MAX_KEY_VALIDITY_MS);
  });

  it("still returns a response whose valid_until_ts has passed", () => {
    const stale = buildServerKeys({ serverName: "domain", key, validUntilTs: now - 1 });
    expect(verifyServerKeys(stale, "domain", now).validUntilTs).toBe(now - 1);
  });

  it("refuses a response about another server", () => {
    expect(reason(() => verifyServerKeys(published, "other.org", now))).toBe("wrong-server");
  });

  it("refuses an unsigned response and one not signed by every listed key", () => {
    const { signatures: _s, ...unsigned } = published;
    expect(reason(() => verifyServerKeys(unsigned, "domain", now))).toBe("unsigned");
    // key2 is listed but only key 1 signed.
    const lying = signJson(
      {
        ...unsigned,
        verify_keys: { ...published.verify_keys, [key2.keyId]: { key: encodeBase64(key2.publicKey) } },
      },
      "domain",
      key,
    );
    expect(reason(() => verifyServerKeys(lying, "domain", now))).toBe("unsigned");
    // Signed by some other server's name only.
    expect(reason(() => verifyServerKeys(signJson(unsigned, "other", key), "domain", now))).toBe("unsigned");
  });

  it("refuses a tampered response", () => {
    expect(
      reason(() => verifyServerKeys({ ...published, valid_until_ts: validUntilTs + 1 }, "domain", now)),
    ).toBe("bad-signature");
    const swapped = {
      ...published,
      verify_keys: { "ed25519:1": { key: encodeBase64(key2.publicKey) } },
    };
    expect(reason(() => verifyServerKeys(swapped, "domain", now))).toBe("bad-signature");
  });

  it("ignores keys of other algorithms but needs one ed25519 key", () => {
    const mixed = signJson(
      {
        server_name: "domain",
        verify_keys: { "ed25519:1": { key: encodeBase64(key.publicKey) }, "foo:1": { key: "whatever" } },
        valid_until_ts: validUntilTs,
      },
      "domain",
      key,
    );
    expect([...verifyServerKeys(mixed, "domain", now).verifyKeys.keys()]).toEqual(["ed25519:1"]);
    const none = signJson(
      { server_name: "domain", verify_keys: { "foo:1": { key: "x" } }, valid_until_ts: validUntilTs },
      "domain",
      key,
    );
    expect(reason(() => verifyServerKeys(none, "domain", now))).toBe("malformed");
  });

  it.each<[string, (r: Record<string, unknown>) => unknown]>([
    ["not an object", () => "nope"],
    ["an array", () => []],
    ["no server_name", ({ server_name: _, ...r }) => r],
    ["an invalid server_name", (r) => ({ ...r, server_name: "bad name" })],
    ["no valid_until_ts", ({ valid_until_ts: _, ...r }) => r],
    ["a float valid_until_ts", (r) => ({ ...r, valid_until_ts: 1.5 })],
    ["no verify_keys", ({ verify_keys: _, ...r }) => r],
    ["a bad key ID", (r) => ({ ...r, verify_keys: { "ed25519:a-b": { key: encodeBase64(key.publicKey) } } })],
    ["a non-Base64 key", (r) => ({ ...r, verify_keys: { "ed25519:1": { key: "!!" } } })],
    ["a short key", (r) => ({ ...r, verify_keys: { "ed25519:1": { key: "AAAA" } } })],
    ["a key entry that is not an object", (r) => ({ ...r, verify_keys: { "ed25519:1": "x" } })],
    ["old_verify_keys not an object", (r) => ({ ...r, old_verify_keys: [] })],
    [
      "an old key without expired_ts",
      (r) => ({ ...r, old_verify_keys: { "ed25519:old": { key: encodeBase64(oldKey.publicKey) } } }),
    ],
  ])("refuses a response with %s", (_label, mutate) => {
    const body = mutate({ ...(published as unknown as Record<string, unknown>) });
    let re: unknown = body;
    try {
      // Re-sign so that only the mutation is wrong (a float cannot be signed; it is checked first anyway).
      if (typeof body === "object" && body !== null && !Array.isArray(body))
        re = signJson(body, "domain", key);
    } catch {}
    expect(reason(() => verifyServerKeys(re, "domain", now))).toBe("malformed");
  });
});

describe("verifyNotaryResponse", () => {
  const notaryKeys = new Map([[notaryKey.keyId, { publicKey: notaryKey.publicKey }]]);
  const other = buildServerKeys({ serverName: "other.org", key: key2, validUntilTs });
  const cosigned = (entry: object) => signJson(entry, "notary.org", notaryKey);

  it("accepts entries signed by their server and the notary", () => {
    const result = verifyNotaryResponse(
      { server_keys: [cosigned(published), cosigned(other)] },
      { notary: "notary.org", notaryKeys, servers: ["domain", "other.org"], now },
    );
    expect(result.failures).toEqual([]);
    expect(result.keys.map((k) => k.serverName)).toEqual(["domain", "other.org"]);
  });

  it("accepts an empty answer", () => {
    expect(verifyNotaryResponse({ server_keys: [] }, { notary: "notary.org", notaryKeys, now })).toEqual({
      keys: [],
      failures: [],
    });
  });

  it("reports entries the notary did not sign, only when notary keys are given", () => {
    const result = verifyNotaryResponse(
      { server_keys: [published] },
      { notary: "notary.org", notaryKeys, now },
    );
    expect(result.keys).toEqual([]);
    expect(result.failures.map((f) => [f.reason, f.serverName])).toEqual([["notary-signature", "domain"]]);
    expect(
      verifyNotaryResponse({ server_keys: [published] }, { notary: "notary.org", now }).keys,
    ).toHaveLength(1);
  });

  it("does not accept an old or unknown notary key", () => {
    const old = new Map([[notaryKey.keyId, { publicKey: notaryKey.publicKey, expiredTs: now - 1 }]]);
    const result = verifyNotaryResponse(
      { server_keys: [cosigned(published)] },
      { notary: "notary.org", notaryKeys: old, now },
    );
    expect(result.failures[0]?.reason).toBe("notary-signature");
    const unknown = new Map([["ed25519:zzz", { publicKey: notaryKey.publicKey }]]);
    expect(
      verifyNotaryResponse(
        { server_keys: [cosigned(published)] },
        { notary: "notary.org", notaryKeys: unknown, now },
      ).failures[0]?.reason,
    ).toBe("notary-signature");
  });

  it("refuses keys the server itself did not sign, even when the notary did", () => {
    const { signatures: _s, ...bare } = other;
    const forged = cosigned(signJson(bare, "other.org", notaryKey));
    const result = verifyNotaryResponse(
      { server_keys: [forged, cosigned(published)] },
      { notary: "notary.org", notaryKeys, now },
    );
    expect(result.keys.map((k) => k.serverName)).toEqual(["domain"]);
    expect(result.failures.map((f) => f.reason)).toEqual(["unsigned"]);
  });

  it("reports entries about servers not asked for and entries without server_name", () => {
    const result = verifyNotaryResponse(
      { server_keys: [cosigned(other), { verify_keys: {} }, "junk"] },
      { notary: "notary.org", notaryKeys, servers: ["domain"], now },
    );
    expect(result.failures.map((f) => f.reason)).toEqual(["wrong-server", "malformed", "malformed"]);
  });

  it("accepts the notary's own keys, self-signed", () => {
    const own = buildServerKeys({ serverName: "notary.org", key: notaryKey, validUntilTs });
    expect(
      verifyNotaryResponse({ server_keys: [own] }, { notary: "notary.org", notaryKeys, now }).keys,
    ).toHaveLength(1);
  });

  it("throws when there is no server_keys array", () => {
    expect(reason(() => verifyNotaryResponse({}, { notary: "n", now }))).toBe("malformed");
    expect(reason(() => verifyNotaryResponse(null, { notary: "n", now }))).toBe("malformed");
  });
});

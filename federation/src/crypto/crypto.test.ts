import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.js";
import {
  fastestEd25519,
  generateSigningKey,
  naclEd25519,
  nodeEd25519,
  signingKeyFromSeed,
  sodiumEd25519,
} from "./ed25519.js";
import { signJson, verifyJson } from "./sign-json.js";

describe("unpadded base64 (appendices)", () => {
  it("encodes the spec's examples", () => {
    const examples: Array<[string, string]> = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of examples) {
      expect(encodeBase64(Buffer.from(plain))).toBe(encoded);
      expect(Buffer.from(decodeBase64(encoded)).toString()).toBe(plain);
    }
  });

  it("decodes padded, unpadded and URL-safe input, and refuses garbage", () => {
    expect(decodeBase64("Zm8=")).toEqual(decodeBase64("Zm8"));
    expect(decodeBase64("-_8")).toEqual(decodeBase64("+/8"));
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    for (const bad of ["Zm9v!", "Z", "Zm9vY", "Zm8==="]) expect(() => decodeBase64(bad)).toThrow(TypeError);
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
        expect(decodeBase64(encodeBase64Url(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe("ed25519: node:crypto and tweetnacl", () => {
  it("give identical signatures and verify each other's", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 2000 }),
        (seed, msg) => {
          expect(nodeEd25519.publicKeyFromSeed(seed)).toEqual(naclEd25519.publicKeyFromSeed(seed));
          const a = nodeEd25519.sign(seed, msg);
          const b = naclEd25519.sign(seed, msg);
          expect(a).toEqual(b);
          const pub = nodeEd25519.publicKeyFromSeed(seed);
          expect(naclEd25519.verify(pub, msg, a)).toBe(true);
          expect(nodeEd25519.verify(pub, msg, b)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("libsodium, where it loads, agrees with both", () => {
    // sodium-native ships prebuilt binaries for the platforms we run on; CI must exercise it.
    expect(sodiumEd25519).toBeDefined();
    expect(fastestEd25519).toBe(sodiumEd25519);
    const sodium = sodiumEd25519!;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 2000 }),
        (seed, msg) => {
          const pub = nodeEd25519.publicKeyFromSeed(seed);
          expect(sodium.publicKeyFromSeed(seed)).toEqual(pub);
          const sig = sodium.sign(seed, msg);
          expect(sig).toEqual(nodeEd25519.sign(seed, msg));
          expect(sodium.verify(pub, msg, nodeEd25519.sign(seed, msg))).toBe(true);
          expect(nodeEd25519.verify(pub, msg, sig)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("reject a changed message, signature or key", () => {
    const key = generateSigningKey("ed25519:k");
    const msg = new TextEncoder().encode("hello");
    const sig = key.sign(msg);
    for (const backend of [nodeEd25519, naclEd25519, fastestEd25519]) {
      expect(backend.verify(key.publicKey, msg, sig)).toBe(true);
      expect(backend.verify(key.publicKey, new TextEncoder().encode("hellp"), sig)).toBe(false);
      const badSig = Uint8Array.from(sig);
      badSig[0]! ^= 1;
      expect(backend.verify(key.publicKey, msg, badSig)).toBe(false);
      expect(backend.verify(generateSigningKey("ed25519:o").publicKey, msg, sig)).toBe(false);
      expect(backend.verify(key.publicKey, msg, sig.subarray(1))).toBe(false);
      expect(backend.verify(key.publicKey.subarray(1), msg, sig)).toBe(false);
    }
  });

  it("refuses seeds of the wrong size and malformed key IDs", () => {
    expect(() => signingKeyFromSeed("ed25519:1", new Uint8Array(31))).toThrow(TypeError);
    expect(() => signingKeyFromSeed("rsa:1", new Uint8Array(32))).toThrow(TypeError);
    expect(() => signingKeyFromSeed("ed25519:", new Uint8Array(32))).toThrow(TypeError);
  });
});

describe("signJson / verifyJson", () => {
  const key = generateSigningKey("ed25519:a");

  it("verify holds after signing and fails after any change to the signed part", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (obj) => {
        const signed = signJson(obj, "example.org", key);
        expect(verifyJson(signed, "example.org", "ed25519:a", key.publicKey)).toBe(true);
        expect(verifyJson({ ...signed, extra_key_: 1 }, "example.org", "ed25519:a", key.publicKey)).toBe(
          false,
        );
        expect(verifyJson(signed, "other.org", "ed25519:a", key.publicKey)).toBe(false);
        expect(verifyJson(signed, "example.org", "ed25519:b", key.publicKey)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it("is false, not an exception, for malformed signatures", () => {
    const pub = key.publicKey;
    expect(verifyJson({}, "x", "ed25519:a", pub)).toBe(false);
    expect(verifyJson({ signatures: null }, "x", "ed25519:a", pub)).toBe(false);
    expect(verifyJson({ signatures: { x: "str" } }, "x", "ed25519:a", pub)).toBe(false);
    expect(verifyJson({ signatures: { x: { "ed25519:a": "!!!" } } }, "x", "ed25519:a", pub)).toBe(false);
    expect(verifyJson({ a: 1.5, signatures: { x: { "ed25519:a": "AAAA" } } }, "x", "ed25519:a", pub)).toBe(
      false,
    );
  });
});

/**
 * Ed25519 signing keys and interchangeable implementations:
 * - `node:crypto` with KeyObjects cached per key (~100× tweetnacl);
 * - libsodium through the optional `sodium-native` (prebuilt; about twice node:crypto's OpenSSL
 *   verification rate), used as the hot path when it loads;
 * - `tweetnacl`: portable (browsers, runtimes without Ed25519) and the cross-check in tests.
 * All produce byte-identical signatures (Ed25519 is deterministic); {@link fastestEd25519} is the
 * default wherever a backend is not named.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import { createRequire } from "node:module";
import nacl from "tweetnacl";
import { decodeBase64 } from "./base64.js";

/** An Ed25519 implementation. */
export interface Ed25519Backend {
  readonly name: string;
  /** The public key of a 32-byte seed. */
  publicKeyFromSeed(seed: Uint8Array): Uint8Array;
  /** Signs `message` with the key of `seed`; returns the 64-byte signature. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Whether `signature` is a valid signature of `message` by `publicKey`. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * A bounded cache of KeyObjects, keyed by the key bytes. Building a KeyObject costs about as much as
 * a verification, so every verification after the first for a key is roughly twice as fast.
 */
class KeyObjectCache {
  readonly #map = new Map<string, KeyObject>();
  constructor(
    readonly make: (bytes: Uint8Array) => KeyObject,
    readonly limit = 4096,
  ) {}

  get(bytes: Uint8Array): KeyObject {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    let key = this.#map.get(id);
    if (!key) {
      key = this.make(bytes);
      if (this.#map.size >= this.limit) this.#map.delete(this.#map.keys().next().value!);
      this.#map.set(id, key);
    }
    return key;
  }
}

const privateKeys = new KeyObjectCache((seed) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" }),
);
const publicKeys = new KeyObjectCache((pub) =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" }),
);

/** Ed25519 through `node:crypto`. */
export const nodeEd25519: Ed25519Backend = {
  name: "node:crypto",
  publicKeyFromSeed(seed) {
    const der = createPublicKey(privateKeys.get(seed)).export({ format: "der", type: "spki" });
    return new Uint8Array(der.subarray(SPKI_PREFIX.length));
  },
  sign(seed, message) {
    return new Uint8Array(sign(null, message, privateKeys.get(seed)));
  },
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, publicKeys.get(publicKey), signature);
    } catch {
      return false;
    }
  },
};

/** Ed25519 through `tweetnacl` (portable, slow). */
export const naclEd25519: Ed25519Backend = {
  name: "tweetnacl",
  publicKeyFromSeed(seed) {
    return nacl.sign.keyPair.fromSeed(seed).publicKey;
  },
  sign(seed, message) {
    return nacl.sign.detached(message, nacl.sign.keyPair.fromSeed(seed).secretKey);
  },
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    return nacl.sign.detached.verify(message, signature, publicKey);
  },
};

interface SodiumNative {
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, message: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, message: Uint8Array, pk: Uint8Array): boolean;
}

function loadSodium(): SodiumNative | undefined {
  try {
    return createRequire(import.meta.url)("sodium-native") as SodiumNative;
  } catch {
    return undefined;
  }
}

/** Ed25519 through libsodium (`sodium-native`), or undefined where it cannot be loaded. */
export const sodiumEd25519: Ed25519Backend | undefined = (() => {
  const sodium = loadSodium();
  if (!sodium) return undefined;
  const secretKeys = new Map<string, Uint8Array>();
  const secretKey = (seed: Uint8Array): Uint8Array => {
    const id = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString("latin1");
    let sk = secretKeys.get(id);
    if (!sk) {
      sk = new Uint8Array(64);
      sodium.crypto_sign_seed_keypair(new Uint8Array(32), sk, seed);
      if (secretKeys.size >= 1024) secretKeys.delete(secretKeys.keys().next().value!);
      secretKeys.set(id, sk);
    }
    return sk;
  };
  return {
    name: "libsodium",
    publicKeyFromSeed(seed) {
      return secretKey(seed).slice(32);
    },
    sign(seed, message) {
      const sig = new Uint8Array(64);
      sodium.crypto_sign_detached(sig, message, secretKey(seed));
      return sig;
    },
    verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    },
  };
})();

/** The fastest backend available here: libsodium if it loads, else node:crypto. */
export const fastestEd25519: Ed25519Backend = sodiumEd25519 ?? nodeEd25519;

/** An Ed25519 signing key with its Matrix key ID (`ed25519:<version>`). */
export interface SigningKey {
  /** The key ID, e.g. `ed25519:a_AbCd`. */
  readonly keyId: string;
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The 32-byte seed (the private key). */
  readonly seed: Uint8Array;
  /** The implementation that signs with it. */
  readonly backend: Ed25519Backend;
  /** Signs bytes; returns the 64-byte signature. */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * A signing key from a 32-byte seed, or from the seed in unpadded Base64 (decoded leniently: the
 * spec's test seed has non-zero trailing bits).
 */
export function signingKeyFromSeed(
  keyId: string,
  seed: Uint8Array | string,
  backend: Ed25519Backend = fastestEd25519,
): SigningKey {
  const bytes = typeof seed === "string" ? decodeBase64(seed) : Uint8Array.from(seed);
  if (bytes.length !== 32) throw new TypeError(`An Ed25519 seed has 32 bytes, not ${bytes.length}`);
  if (!keyId.startsWith("ed25519:") || keyId.length <= "ed25519:".length) {
    throw new TypeError(`Not an Ed25519 key ID: ${keyId}`);
  }
  const publicKey = backend.publicKeyFromSeed(bytes);
  return {
    keyId,
    publicKey,
    seed: bytes,
    backend,
    sign: (message) => backend.sign(bytes, message),
  };
}

/** A new random signing key. */
export function generateSigningKey(keyId: string, backend: Ed25519Backend = fastestEd25519): SigningKey {
  return signingKeyFromSeed(keyId, new Uint8Array(randomBytes(32)), backend);
}

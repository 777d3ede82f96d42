// The examples and cryptographic test vectors of the spec's appendices ("Canonical JSON" examples,
// "Cryptographic Test Vectors"), as unit tests.
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  contentHash,
  naclEd25519,
  redactEvent,
  signEvent,
  signingKeyFromSeed,
  signJson,
  verifyEventSignature,
  verifyJson,
} from "../src/index.js";

const SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";

describe("Canonical JSON examples (appendices)", () => {
  const cases: Array<[string, string]> = [
    ["{}", "{}"],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
    ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
    ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
    ['{\n    "a": null\n}', '{"a":null}'],
    ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
  ];
  it.each(cases)("encodes %s", (input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });
});

describe("Cryptographic test vectors: signing key", () => {
  it("derives the same public key with node:crypto and tweetnacl from the spec's seed", () => {
    const node = signingKeyFromSeed("ed25519:1", SEED);
    const nacl = signingKeyFromSeed("ed25519:1", SEED, naclEd25519);
    expect(node.publicKey).toHaveLength(32);
    expect(Buffer.from(node.publicKey)).toEqual(Buffer.from(nacl.publicKey));
  });
});

describe("Cryptographic test vectors: JSON signing", () => {
  const key = signingKeyFromSeed("ed25519:1", SEED);

  it("signs the empty object", () => {
    expect(signJson({}, "domain", key)).toEqual({
      signatures: {
        domain: {
          "ed25519:1":
            "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
        },
      },
    });
  });

  it("signs an object with data values", () => {
    const signed = signJson({ one: 1, two: "Two" }, "domain", key);
    expect(signed).toEqual({
      one: 1,
      signatures: {
        domain: {
          "ed25519:1":
            "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
        },
      },
      two: "Two",
    });
    expect(verifyJson(signed, "domain", "ed25519:1", key.publicKey)).toBe(true);
    expect(verifyJson({ ...signed, two: "Three" }, "domain", "ed25519:1", key.publicKey)).toBe(false);
  });

  it("keeps unsigned out of the signature and keeps other signatures", () => {
    const other = { signatures: { elsewhere: { "ed25519:x": "abc" } }, unsigned: { age_ts: 1 }, one: 1 };
    const signed = signJson(other, "domain", key);
    expect(signed.signatures.elsewhere).toEqual({ "ed25519:x": "abc" });
    expect(signed.unsigned).toEqual({ age_ts: 1 });
    expect(verifyJson({ ...signed, unsigned: { age_ts: 2 } }, "domain", "ed25519:1", key.publicKey)).toBe(
      true,
    );
  });
});

describe("Cryptographic test vectors: event signing", () => {
  const key = signingKeyFromSeed("ed25519:1", SEED);

  const minimal = {
    room_id: "!x:domain",
    sender: "@a:domain",
    origin: "domain",
    origin_server_ts: 1000000,
    signatures: {},
    hashes: {},
    type: "X",
    content: {},
    prev_events: [],
    auth_events: [],
    depth: 3,
    unsigned: { age_ts: 1000000 },
  };
  const minimalSigned = {
    auth_events: [],
    content: {},
    depth: 3,
    hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
    origin: "domain",
    origin_server_ts: 1000000,
    prev_events: [],
    room_id: "!x:domain",
    sender: "@a:domain",
    signatures: {
      domain: {
        "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
      },
    },
    type: "X",
    unsigned: { age_ts: 1000000 },
  };

  // The vectors keep the top-level `origin` in the redacted form, so they are for room versions
  // whose redaction algorithm keeps it (1–10); v1 also keeps `event_id`, used by the second vector.
  it.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"])("signs the minimal event (room v%s)", (v) => {
    expect(signEvent(minimal, "domain", key, v)).toEqual(minimalSigned);
    expect(verifyEventSignature(minimalSigned, "domain", "ed25519:1", key.publicKey, v)).toBe(true);
  });

  it("computes the minimal event's content hash", () => {
    expect(contentHash(minimal)).toBe("5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
  });

  const redactable = {
    content: { body: "Here is the message content" },
    event_id: "$0:domain",
    origin: "domain",
    origin_server_ts: 1000000,
    type: "m.room.message",
    room_id: "!r:domain",
    sender: "@u:domain",
    signatures: {},
    unsigned: { age_ts: 1000000 },
  };
  const redactableSigned = {
    content: { body: "Here is the message content" },
    event_id: "$0:domain",
    hashes: { sha256: "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g" },
    origin: "domain",
    origin_server_ts: 1000000,
    type: "m.room.message",
    room_id: "!r:domain",
    sender: "@u:domain",
    signatures: {
      domain: {
        "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
      },
    },
    unsigned: { age_ts: 1000000 },
  };

  it.each(["1", "2"])("signs the event with redactable content (room v%s)", (v) => {
    expect(signEvent(redactable, "domain", key, v)).toEqual(redactableSigned);
  });

  it("still verifies once redacted", () => {
    const redacted = redactEvent(redactableSigned, "1");
    expect(redacted.content).toEqual({});
    expect(verifyEventSignature(redacted, "domain", "ed25519:1", key.publicKey, "1")).toBe(true);
  });

  it("gives the same signatures with tweetnacl", () => {
    const nacl = signingKeyFromSeed("ed25519:1", SEED, naclEd25519);
    expect(signEvent(minimal, "domain", nacl, "1")).toEqual(minimalSigned);
    expect(signEvent(redactable, "domain", nacl, "1")).toEqual(redactableSigned);
  });
});

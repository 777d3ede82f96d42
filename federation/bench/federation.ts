/** Benchmarks of the protocol core: canonical JSON, signing, verification, event IDs. */
import {
  canonicalJson,
  computeEventId,
  naclEd25519,
  nodeEd25519,
  signEvent,
  signingKeyFromSeed,
  sodiumEd25519,
  verifyEventSignature,
} from "../src/index.js";
import { benchKey, sampleEvent } from "./fixtures.js";
import { type BenchCase, opsPerSecond } from "./harness.js";

const naclKey = signingKeyFromSeed(benchKey.keyId, benchKey.seed, naclEd25519);
const nodeKey = signingKeyFromSeed(benchKey.keyId, benchKey.seed, nodeEd25519);
const verify =
  (backend = nodeEd25519) =>
  () =>
    verifyEventSignature(sampleEvent, "example.org", benchKey.keyId, benchKey.publicKey, "11", backend);
const eventBytes = Buffer.byteLength(canonicalJson(sampleEvent));

export const cases: BenchCase[] = [
  {
    name: `canonicalJson (${(eventBytes / 1024).toFixed(1)} KB event)`,
    unit: "ops/s",
    run: () => opsPerSecond(() => canonicalJson(sampleEvent)),
  },
  {
    name: "signEvent (node:crypto)",
    unit: "ops/s",
    run: () => opsPerSecond(() => signEvent(sampleEvent, "example.org", nodeKey, "11")),
  },
  {
    name: "verifyEventSignature (node:crypto)",
    unit: "ops/s",
    target: { op: ">=", value: 8000 },
    run: () => opsPerSecond(verify(nodeEd25519)),
  },
  ...(sodiumEd25519
    ? [
        {
          name: "signEvent (libsodium, the default)",
          unit: "ops/s" as const,
          run: () => opsPerSecond(() => signEvent(sampleEvent, "example.org", benchKey, "11")),
        },
        {
          name: "verifyEventSignature (libsodium, the default)",
          unit: "ops/s" as const,
          target: { op: ">=" as const, value: 8000 },
          run: () => opsPerSecond(verify(sodiumEd25519)),
        },
      ]
    : []),
  {
    name: "signEvent (tweetnacl)",
    unit: "ops/s",
    runs: 3,
    run: () => opsPerSecond(() => signEvent(sampleEvent, "example.org", naclKey, "11"), 300),
  },
  {
    name: "verifyEventSignature (tweetnacl)",
    unit: "ops/s",
    runs: 3,
    run: () => opsPerSecond(verify(naclEd25519), 300),
  },
  {
    name: "computeEventId (v11)",
    unit: "ops/s",
    run: () => opsPerSecond(() => computeEventId(sampleEvent, "11")),
  },
];

/** Benchmarks of the protocol core: canonical JSON, signing, verification, event IDs. */
import {
  canonicalJson,
  computeEventId,
  naclEd25519,
  signEvent,
  signingKeyFromSeed,
  verifyEventSignature,
} from "../src/index.js";
import { benchKey, sampleEvent } from "./fixtures.js";
import { type BenchCase, opsPerSecond } from "./harness.js";

const naclKey = signingKeyFromSeed(benchKey.keyId, benchKey.seed, naclEd25519);
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
    run: () => opsPerSecond(() => signEvent(sampleEvent, "example.org", benchKey, "11")),
  },
  {
    name: "verifyEventSignature (node:crypto)",
    unit: "ops/s",
    target: { op: ">=", value: 8000 },
    run: () =>
      opsPerSecond(() =>
        verifyEventSignature(sampleEvent, "example.org", benchKey.keyId, benchKey.publicKey, "11"),
      ),
  },
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
    run: () =>
      opsPerSecond(
        () =>
          verifyEventSignature(
            sampleEvent,
            "example.org",
            benchKey.keyId,
            benchKey.publicKey,
            "11",
            naclEd25519,
          ),
        300,
      ),
  },
  {
    name: "computeEventId (v11)",
    unit: "ops/s",
    run: () => opsPerSecond(() => computeEventId(sampleEvent, "11")),
  },
];

import { defineConfig } from "vitest/config";

// vitest 5's reporter calls Map.groupBy (Node 21+) when it prints failures; on Node 20 the failure
// report itself would crash. The config runs in the main process, before any reporter.
if (typeof (Map as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    value<K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> {
      const out = new Map<K, V[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const list = out.get(k);
        if (list) list.push(item);
        else out.set(k, [item]);
      }
      return out;
    },
    configurable: true,
    writable: true,
  });
}

export default defineConfig({
  test: {
    include: [
      "federation/src/**/*.test.ts",
      "federation/testing/**/*.test.ts",
      "homeserver/src/**/*.test.ts",
      "client-sdk/src/**/*.test.ts",
      "tests/**/*.test.ts",
    ],
    testTimeout: 30_000,
  },
});

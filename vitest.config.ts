import { defineConfig } from "vitest/config";

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

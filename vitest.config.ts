import { defineConfig } from "vitest/config";

export default defineConfig({
  // The web client's components (client-sdk/apps/web) are Preact: JSX with its automatic runtime.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    include: [
      "federation/src/**/*.test.ts",
      "federation/testing/**/*.test.ts",
      "homeserver/src/**/*.test.ts",
      "client-sdk/src/**/*.test.ts",
      "client-sdk/apps/web/src/**/*.test.{ts,tsx}",
      "tests/**/*.test.ts",
    ],
    testTimeout: 30_000,
  },
});

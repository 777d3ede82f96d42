// Vite builds the web client into dist/, which the homeserver serves at / (scripts/build.ts decides
// when). Preact needs no plugin: Oxc compiles JSX with Preact's automatic runtime. The SDK and
// @hearth/federation/client are workspace packages whose TypeScript sources Vite bundles directly.
import { defineConfig } from "vite";

export default defineConfig({
  // Relative asset URLs: the same build works at / and under a path prefix.
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    target: "es2022",
    sourcemap: true,
    // Everything in files: the Content-Security-Policy allows no inline script or style.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});

// `npm run build --workspace @hearth/client-sdk`: the ESM build in dist/ (or the directory given as
// the first argument): dist/index.js (browsers and Node) and dist/node.js (the Node adapter), which
// share chunks, bundled with esbuild so the published package needs only `ws` (for the adapter); and
// type declarations from tsc: dist/index.d.ts and dist/node.d.ts over dist/types/, where the
// declarations of @hearth/federation/client are emitted next to the SDK's and imported relatively.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(root, "dist"));
rmSync(out, { recursive: true, force: true });

await build({
  entryPoints: { index: join(root, "src/index.ts"), node: join(root, "src/node/index.ts") },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  external: ["ws", "node:*"],
  sourcemap: true,
  logLevel: "warning",
});

const tsc = spawnSync(
  process.execPath,
  [
    join(root, "../node_modules/typescript/bin/tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    join(out, "types"),
  ],
  { stdio: "inherit" },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The SDK's declarations import "@hearth/federation/client": point them at the emitted copy.
const federationClient = join(out, "types/federation/src/client.js");
const sdkTypes = join(out, "types/client-sdk/src");
for (const file of readdirSync(sdkTypes, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".d.ts")) continue;
  const path = join(sdkTypes, file);
  let spec = relative(dirname(path), federationClient);
  if (!spec.startsWith(".")) spec = `./${spec}`;
  writeFileSync(
    path,
    readFileSync(path, "utf8").replaceAll('"@hearth/federation/client"', JSON.stringify(spec)),
  );
}
writeFileSync(join(out, "index.d.ts"), 'export * from "./types/client-sdk/src/index.js";\n');
writeFileSync(join(out, "node.d.ts"), 'export * from "./types/client-sdk/src/node/index.js";\n');
console.log(`@hearth/client-sdk built in ${out}`);

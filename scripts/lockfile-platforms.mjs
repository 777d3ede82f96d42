#!/usr/bin/env node
// The npm registry this project's machines reach serves only the Linux builds of some packages'
// per-platform binaries (Biome's), so `npm install` leaves the other platforms' optional packages out
// of package-lock.json, and `npm ci` then refuses the lockfile. This adds the missing entries with
// their os/cpu/libc constraints: npm never fetches a package for another platform, it only needs to
// know it exists. Run after `npm install`: node scripts/lockfile-platforms.mjs
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORM_PACKAGES = {
  "@biomejs/biome": {
    prefix: "@biomejs/cli-",
    targets: {
      "win32-x64": { os: ["win32"], cpu: ["x64"] },
      "win32-arm64": { os: ["win32"], cpu: ["arm64"] },
      "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
      "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
      "linux-x64": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
      "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
      "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
      "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
      "android-x64": { os: ["android"], cpu: ["x64"] },
      "android-arm64": { os: ["android"], cpu: ["arm64"] },
    },
  },
};

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
let added = 0;
for (const [parent, { prefix, targets }] of Object.entries(PLATFORM_PACKAGES)) {
  const parentEntry = lock.packages[`node_modules/${parent}`];
  if (!parentEntry) continue;
  for (const [target, constraints] of Object.entries(targets)) {
    const name = `${prefix}${target}`;
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    if (!parentEntry.optionalDependencies?.[name]) continue;
    lock.packages[key] = {
      version: parentEntry.optionalDependencies[name],
      ...constraints,
      dev: parentEntry.dev,
      license: "MIT OR Apache-2.0",
      optional: true,
      engines: { node: ">=14.21.3" },
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);

#!/usr/bin/env node
// The `hearth` executable: runs the TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/cli.ts");
process.exitCode = await runCli(process.argv.slice(2));

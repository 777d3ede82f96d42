#!/usr/bin/env -S node --max-semi-space-size=4
// The `hearth` executable: runs the TypeScript sources through tsx (no build step).
//
// --max-semi-space-size=4: a small young generation. The server allocates many short-lived objects
// per request, and V8's default semi-spaces keep tens of MB resident that a homeserver does not need
// (measured with 1 000 idle long-polling clients: 276 MB -> 240 MB RSS, at a small CPU cost). V8 reads the flag only at
// start-up, so every way of starting Hearth passes it: this line, `npm start`, the Docker image.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/cli.ts");
process.exitCode = await runCli(process.argv.slice(2));

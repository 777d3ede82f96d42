#!/usr/bin/env node
// The image's HEALTHCHECK: GET /health on the client listener (HEARTH_BIND, as the
// server reads it; a wildcard address is asked on loopback). Exit 0 when it answers 200, else 1: a
// server whose storage cannot write answers 503 there, so the container turns unhealthy.
const bind = process.env.HEARTH_BIND ?? "127.0.0.1:8008";
const colon = bind.lastIndexOf(":");
let host = bind.slice(0, colon);
const port = bind.slice(colon + 1);
if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
if (host === "[::]" || host === "::") host = "[::1]";
try {
  const res = await fetch(`http://${host}:${port}/health`, {
    signal: AbortSignal.timeout(4_000),
  });
  process.exit(res.status === 200 ? 0 : 1);
} catch (e) {
  console.error(`healthcheck: ${e.message}`);
  process.exit(1);
}

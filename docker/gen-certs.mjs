#!/usr/bin/env node
// Writes a test CA and one leaf certificate per federation host into a directory, for the compose
// cluster (docker/compose.yaml runs it once, as the `certs` service, into the shared `certs` volume)
// and for local clusters. Certificates come from homeserver/src/federation/tls.ts, through tsx.
//
//   HEARTH_CERT_DIR    where to write (default ./certs): ca.crt, ca.key, <host>.crt, <host>.key
//   HEARTH_CERT_HOSTS  comma-separated host names or IP addresses (default hs1,hs2,hs3); a server
//                      name's port is dropped (the certificate names the host, never the port)
//
// Idempotent: an existing CA is reused and existing leaf certificates are kept, so restarting the
// cluster does not change what the servers present. Delete the directory (or volume) to start over.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { register } from "tsx/esm/api";

register();
const { createLeafCertificate, createTestCa, serverNameHost } = await import(
  "../homeserver/src/federation/tls.ts"
);

const dir = resolve(process.env.HEARTH_CERT_DIR ?? "certs");
const hosts = (process.env.HEARTH_CERT_HOSTS ?? "hs1,hs2,hs3")
  .split(",")
  .map((h) => h.trim())
  .filter((h) => h !== "")
  .map(serverNameHost);
if (hosts.length === 0) {
  console.error("HEARTH_CERT_HOSTS names no host");
  process.exit(1);
}

/** Reads a file, or undefined when it does not exist. */
async function readIfExists(path) {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return undefined;
    throw e;
  }
}

/** Writes a certificate (world-readable) and its key (owner only). */
async function writePair(base, pair) {
  await writeFile(`${base}.crt`, pair.cert);
  await writeFile(`${base}.key`, pair.key, { mode: 0o600 });
  await chmod(`${base}.key`, 0o600);
}

await mkdir(dir, { recursive: true });
const caBase = join(dir, "ca");
const existingCert = await readIfExists(`${caBase}.crt`);
const existingKey = await readIfExists(`${caBase}.key`);
let ca;
if (existingCert && existingKey) {
  ca = { cert: existingCert, key: existingKey };
  console.log(`reusing the CA in ${caBase}.crt`);
} else {
  ca = createTestCa("Hearth compose test CA");
  await writePair(caBase, ca);
  console.log(`wrote a new CA: ${caBase}.crt`);
}
for (const host of hosts) {
  const base = join(dir, host);
  if ((await readIfExists(`${base}.crt`)) && (await readIfExists(`${base}.key`))) {
    console.log(`keeping ${base}.crt`);
    continue;
  }
  await writePair(base, createLeafCertificate(ca, [host]));
  console.log(`wrote ${base}.crt for ${host}`);
}

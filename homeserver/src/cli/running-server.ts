/**
 * How CLI commands find the server running on a data directory: `hearth start` records its client URL
 * in `<data_dir>/client-url` once it listens and removes it when it stops. A command reads it only when
 * the database is locked, i.e. while a server holds it, so a file left by a crash misleads nobody.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const FILE = "client-url";

/** The client URL of a listener on `host:port`; wildcard addresses become loopback. */
export function clientUrlOf(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Records the running server's client URL in its data directory. */
export async function recordClientUrl(dataDir: string, url: string): Promise<void> {
  await writeFile(join(dataDir, FILE), `${url}\n`);
}

/** Removes the record (the server stopped, or is about to start). */
export async function removeClientUrl(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILE), { force: true });
}

/** The client URL recorded in `dataDir`, if there is a well-formed one. */
export async function readClientUrl(dataDir: string): Promise<string | undefined> {
  const text = await readFile(join(dataDir, FILE), "utf8").catch(() => undefined);
  const url = text?.trim();
  return url !== undefined && /^https?:\/\/\S+$/.test(url) ? url : undefined;
}

/** Whether opening a database failed because another process (a running server) holds its lock. */
export function isDatabaseLocked(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.cause?.code === "LEVEL_LOCKED" || err.code === "LEVEL_LOCKED";
}

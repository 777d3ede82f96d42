/**
 * The server's signing key, kept in `<data_dir>/signing.key` in the format Synapse uses
 * (`ed25519 <version> <unpadded base64 seed>`), generated on first start.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeBase64, generateSigningKey, type SigningKey, signingKeyFromSeed } from "@hearth/federation";

/** Reads the signing key from `dataDir`, generating and saving one if there is none. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const path = join(dataDir, "signing.key");
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (text !== undefined) return parseSigningKey(text, path);
  // Key versions must match [a-zA-Z0-9_] ("Publishing Keys"): base64url could give "-".
  const version = `a_${randomBytes(4).toString("hex")}`;
  const key = generateSigningKey(`ed25519:${version}`);
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, formatSigningKey(key), { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  return key;
}

/** The file format of a signing key. */
export function formatSigningKey(key: SigningKey): string {
  return `ed25519 ${key.keyId.slice("ed25519:".length)} ${encodeBase64(key.seed)}\n`;
}

/** Parses a signing key file (the first line that is not blank). */
export function parseSigningKey(text: string, source = "signing key"): SigningKey {
  const line = text.split("\n").find((l) => l.trim() !== "");
  const m = line ? /^ed25519\s+(\S+)\s+(\S+)\s*$/.exec(line.trim()) : null;
  if (!m) throw new Error(`${source}: expected "ed25519 <version> <base64 seed>"`);
  return signingKeyFromSeed(`ed25519:${m[1]}`, m[2]!);
}

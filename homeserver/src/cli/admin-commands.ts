/**
 * Admin commands of the `hearth` CLI: `register-user`, `create-registration-token`, `generate-keys`,
 * `generate-tls`, `rotate-keys`.
 *
 * `register-user` registers through a running server's shared-secret endpoint when one answers, and
 * otherwise writes to the (stopped) server's data directory directly. The database is single-process:
 * when a running server holds it, direct access fails with a message saying so.
 */
import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSigningKey, isValidServerName, MatrixError } from "@hearth/federation";
import { type HearthConfig, loadConfig } from "../config/config.js";
import { createSelfSignedCertificate, serverNameHost } from "../federation/tls.js";
import { AccountService } from "../services/accounts/account-service.js";
import { sharedSecretMac } from "../services/accounts/shared-secret.js";
import { newPassword } from "../services/accounts/tokens.js";
import { formatSigningKey, loadOrCreateSigningKey } from "../signing-key.js";
import { accountStorage } from "../storage/accounts.js";
import { Database } from "../storage/db.js";
import { ServerKeyStore } from "../storage/server-keys.js";

/** Where a command writes its output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A failure to report to the operator (no stack trace). */
class CommandError extends Error {
  override readonly name = "CommandError";
}

/**
 * Runs an admin command with its arguments (after the command name). Returns the exit code: 0 on
 * success, 1 on a usage or operational error (reported on `io.err`).
 */
export async function runAdminCommand(
  command: string,
  args: string[],
  io: CommandIo = processIo,
): Promise<number> {
  try {
    switch (command) {
      case "register-user":
        return await registerUser(args, io);
      case "create-registration-token":
        return await createRegistrationToken(args, io);
      case "generate-keys":
        return await generateKeys(args, io);
      case "generate-tls":
        return await generateTls(args, io);
      case "rotate-keys":
        return await rotateKeys(args, io);
      default:
        throw new CommandError(`unknown admin command ${command}`);
    }
  } catch (e) {
    if (e instanceof CommandError || e instanceof MatrixError) {
      io.err(`${command}: ${e.message}\n`);
      return 1;
    }
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`${command}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

async function registerUser(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      admin: { type: "boolean", default: false },
      password: { type: "string" },
      config: { type: "string", short: "c" },
      url: { type: "string" },
    },
  });
  if (positionals.length !== 1) throw new CommandError("expected exactly one <localpart>");
  const config = loadConfig(values.config);
  const username = localpartOf(positionals[0]!, config.serverName);
  const generated = values.password === undefined;
  const password = values.password ?? newPassword();
  if (password === "") throw new CommandError("the password must not be empty");
  const admin = values.admin === true;
  const url = (values.url ?? clientUrl(config)).replace(/\/+$/, "");

  const nonce = await fetchNonce(url);
  let userId: string;
  if (nonce !== undefined) {
    userId = await registerRemotely(url, config, nonce, username, password, admin);
  } else {
    userId = await withDatabase(config, async (accounts) => {
      const localpart = await accounts.checkUsername(username);
      return (await accounts.register({ localpart, password, admin, inhibitLogin: true })).userId;
    });
  }
  io.out(`Registered ${userId}${admin ? " (admin)" : ""}\n`);
  if (generated) io.out(`Password: ${password}\n`);
  return 0;
}

/** A localpart from `alice` or `@alice:server`. */
function localpartOf(arg: string, serverName: string): string {
  if (!arg.startsWith("@")) return arg;
  const colon = arg.indexOf(":");
  if (colon === -1 || arg.slice(colon + 1) !== serverName) {
    throw new CommandError(`${arg} is not a user of this server (${serverName})`);
  }
  return arg.slice(1, colon);
}

/** The client URL of the configured bind address (wildcards become loopback). */
function clientUrl(config: HearthConfig): string {
  let host = config.bind.host;
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.bind.port}`;
}

/**
 * A nonce from a running server, `undefined` when nothing answers at `url`. A server that answers
 * but refuses shared-secret registration is an error: its database is locked, so there is no other way.
 */
async function fetchNonce(url: string): Promise<string | { refused: string } | undefined> {
  let res: Response;
  try {
    res = await fetch(`${url}/_synapse/admin/v1/register`, { signal: AbortSignal.timeout(3000) });
  } catch {
    return undefined;
  }
  const body = (await res.json().catch(() => ({}))) as { nonce?: unknown; error?: unknown };
  if (res.ok && typeof body.nonce === "string") return body.nonce;
  return { refused: typeof body.error === "string" ? body.error : `HTTP ${res.status}` };
}

async function registerRemotely(
  url: string,
  config: HearthConfig,
  nonce: string | { refused: string },
  username: string,
  password: string,
  admin: boolean,
): Promise<string> {
  if (typeof nonce !== "string" || config.registrationSharedSecret === undefined) {
    const why =
      typeof nonce === "string" ? "registration_shared_secret is not in this configuration" : nonce.refused;
    throw new CommandError(
      `a server is running at ${url} but shared-secret registration is not possible (${why}). ` +
        "Set the same registration_shared_secret for the server and this command, or stop the server.",
    );
  }
  const mac = sharedSecretMac(config.registrationSharedSecret, nonce, username, password, admin);
  const res = await fetch(`${url}/_synapse/admin/v1/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username, password, admin, mac, inhibit_login: true }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as {
    user_id?: unknown;
    errcode?: unknown;
    error?: unknown;
  };
  if (!res.ok || typeof body.user_id !== "string") {
    throw new CommandError(
      `the server refused: ${String(body.errcode ?? res.status)} ${String(body.error ?? "")}`.trim(),
    );
  }
  return body.user_id;
}

/** Opens the stopped server's database, runs `fn` with an account service over it, and closes it. */
async function withDatabase<T>(
  config: HearthConfig,
  fn: (accounts: AccountService) => Promise<T>,
): Promise<T> {
  const path = join(config.dataDir, "db");
  await mkdir(config.dataDir, { recursive: true });
  let db: Database;
  try {
    db = await Database.open(path);
  } catch (e) {
    const err = e as { code?: string; cause?: { code?: string } };
    if (err.cause?.code === "LEVEL_LOCKED" || err.code === "LEVEL_LOCKED") {
      throw new CommandError(
        `the database ${path} is in use by a running server. Register through it instead: ` +
          "give --url (or the config's bind) and set registration_shared_secret.",
      );
    }
    throw new CommandError(`cannot open the database ${path}: ${(e as Error).message}`);
  }
  try {
    const accounts = new AccountService({
      db,
      storage: accountStorage(db),
      serverName: config.serverName,
      now: Date.now,
      // With the server stopped there are no rooms to update; a new account is in none.
      effects: { leaveAllRooms: async () => {}, profileChanged: async () => {} },
    });
    return await fn(accounts);
  } finally {
    await db.close();
  }
}

function nonNegativeInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CommandError(`${name} must be a non-negative integer`);
  }
  return Number(value);
}

async function createRegistrationToken(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      uses: { type: "string" },
      "expiry-ms": { type: "string" },
      token: { type: "string" },
      config: { type: "string", short: "c" },
    },
  });
  const uses = nonNegativeInteger(values.uses, "--uses");
  const expiryMs = nonNegativeInteger(values["expiry-ms"], "--expiry-ms");
  const config = loadConfig(values.config);
  const record = await withDatabase(config, (accounts) =>
    accounts.createRegistrationToken({
      token: values.token,
      usesAllowed: uses ?? null,
      expiryTs: expiryMs !== undefined ? Date.now() + expiryMs : null,
    }),
  );
  io.out(`${record.token}\n`);
  return 0;
}

async function generateKeys(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { config: { type: "string", short: "c" } } });
  const config = loadConfig(values.config);
  const path = join(config.dataDir, "signing.key");
  const existed = await access(path).then(
    () => true,
    () => false,
  );
  const key = await loadOrCreateSigningKey(config.dataDir);
  io.out(`${key.keyId}\n`);
  io.err(existed ? `Signing key already present in ${path}\n` : `Wrote a new signing key to ${path}\n`);
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * `generate-tls [--server-name n] [--out dir] [--force] [--config hearth.yaml]`: writes a self-signed
 * certificate (`tls.crt`) and key (`tls.key`) for the server name's host (DNS name or IP address; the
 * port is not part of a certificate) to `--out` (default: the data directory).
 */
async function generateTls(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      "server-name": { type: "string" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
      config: { type: "string", short: "c" },
    },
  });
  const needConfig = values["server-name"] === undefined || values.out === undefined;
  const config = needConfig ? loadConfig(values.config) : undefined;
  const serverName = values["server-name"] ?? config!.serverName;
  if (!isValidServerName(serverName)) throw new CommandError(`not a valid server name: ${serverName}`);
  const dir = values.out ?? config!.dataDir;
  const certPath = join(dir, "tls.crt");
  const keyPath = join(dir, "tls.key");
  if (!values.force && ((await exists(certPath)) || (await exists(keyPath)))) {
    throw new CommandError(`${certPath} or ${keyPath} already exists (use --force to replace them)`);
  }
  const { cert, key } = createSelfSignedCertificate(serverName);
  await mkdir(dir, { recursive: true });
  await writeFile(certPath, cert);
  await writeFile(keyPath, key, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  io.out(`${certPath}\n${keyPath}\n`);
  io.err(
    `Wrote a self-signed certificate for ${serverNameHost(serverName)}. Set tls_cert and tls_key to these ` +
      "files; other servers must trust it (federation_ca) or not verify TLS (federation_verify_tls: false).\n",
  );
  return 0;
}

/**
 * `rotate-keys [--config hearth.yaml]`, on a stopped server: generates a new signing key and keeps the
 * current one as an old verify key, expired now (published in `old_verify_keys`, so events it signed
 * still verify). The old key is recorded in the database before the new key file replaces the old one.
 */
async function rotateKeys(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { config: { type: "string", short: "c" } } });
  const config = loadConfig(values.config);
  const current = await loadOrCreateSigningKey(config.dataDir);
  const path = join(config.dataDir, "db");
  let db: Database;
  try {
    db = await Database.open(path);
  } catch (e) {
    const err = e as { code?: string; cause?: { code?: string } };
    if (err.cause?.code === "LEVEL_LOCKED" || err.code === "LEVEL_LOCKED") {
      throw new CommandError(`the database ${path} is in use by a running server: stop it first`);
    }
    throw new CommandError(`cannot open the database ${path}: ${(e as Error).message}`);
  }
  let next: ReturnType<typeof generateSigningKey>;
  try {
    // Key versions must match [a-zA-Z0-9_] ("Publishing Keys"): hex, not base64url.
    do next = generateSigningKey(`ed25519:a_${randomBytes(4).toString("hex")}`);
    while (next.keyId === current.keyId);
    const store = new ServerKeyStore(db);
    await db.write(store.ownOldKeyOps(current.keyId, current.publicKey, Date.now()));
  } finally {
    await db.close();
  }
  const keyFile = join(config.dataDir, "signing.key");
  const temp = `${keyFile}.new`;
  await writeFile(temp, formatSigningKey(next), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, keyFile);
  io.out(`${next.keyId}\n`);
  io.err(`Rotated the signing key: ${current.keyId} is now an old verify key, ${next.keyId} signs.\n`);
  return 0;
}

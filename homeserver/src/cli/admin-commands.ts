/**
 * Admin commands of the `hearth` CLI: `register-user`, `create-registration-token`, `generate-keys`,
 * `generate-tls`, `rotate-keys`.
 *
 * `register-user` registers through a running server's shared-secret endpoint when one answers, and
 * `create-registration-token` through its admin API (with an admin's access token); otherwise both
 * write to the stopped server's data directory directly. The database is single-process: when a
 * running server holds it, direct access fails with a message giving the command to run instead.
 * Commands that change a server's data refuse a data directory without it rather than create an
 * empty one the server would never read; only `generate-keys` and `generate-tls` create one.
 */
import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateSigningKey, isValidServerName, MatrixError } from "@hearth/federation";
import { type HearthConfig, invocationDir, loadConfig } from "../config/config.js";
import { createSelfSignedCertificate, serverNameHost } from "../federation/tls.js";
import { AccountService } from "../services/accounts/account-service.js";
import { sharedSecretMac } from "../services/accounts/shared-secret.js";
import { newPassword } from "../services/accounts/tokens.js";
import { formatSigningKey, loadOrCreateSigningKey } from "../signing-key.js";
import { accountStorage } from "../storage/accounts.js";
import { Database } from "../storage/db.js";
import { ServerKeyStore } from "../storage/server-keys.js";
import { clientUrlOf, isDatabaseLocked, readClientUrl } from "./running-server.js";

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

/** What to do when the data directory holds no server data. */
const NO_DATA_HINT =
  "start the server once with `npm start`, or point --config / HEARTH_DATA_DIR at its data";

/** A value as a POSIX shell word: as is when safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * A command line to suggest: `npx hearth <command>` and `parts`, each already a shell word or a
 * `<placeholder>`; undefined parts are left out.
 */
function commandLine(command: string, parts: readonly (string | undefined)[]): string {
  return ["npx hearth", command, ...parts.filter((p) => p !== undefined)].join(" ");
}

/** `--config <path>` as given, for suggested command lines. */
function configPart(path: string | undefined): string | undefined {
  return path === undefined ? undefined : `--config ${shellWord(path)}`;
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

/**
 * `register-user <localpart> [--admin] [--password pw] [--config f] [--url u]`: through a running
 * server's shared-secret endpoint (its `registration_shared_secret`), else into the stopped server's
 * database ({@link locate}). Prints the user ID, and the password when it generated one.
 */
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
  /** This command again, against the server at `url`, for messages. */
  const again = (url: string) =>
    commandLine("register-user", [
      shellWord(positionals[0]!),
      admin ? "--admin" : undefined,
      values.password === undefined ? undefined : "--password <password>",
      configPart(values.config),
      `--url ${url}`,
    ]);

  const target = await locate(
    config,
    values.url,
    (db, tried) =>
      `the database ${db} is in use by a running server that does not answer at ${tried}. Register ` +
      "through it with its registration_shared_secret:\n" +
      `  HEARTH_REGISTRATION_SHARED_SECRET=<the server's secret> ${again("<its client URL>")}\n` +
      "or stop the server and run this command again.",
  );
  let userId: string;
  if ("url" in target) {
    const nonce = await fetchNonce(target.url);
    userId = await registerRemotely(
      target.url,
      config,
      nonce,
      username,
      password,
      admin,
      again(shellWord(target.url)),
    );
    io.err(`Registered through the server at ${target.url}\n`);
  } else {
    userId = await withAccounts(config, target.db, async (accounts) => {
      const localpart = await accounts.checkUsername(username);
      return (await accounts.register({ localpart, password, admin, inhibitLogin: true })).userId;
    });
    io.err(`Wrote to the stopped server's database in ${config.dataDir}\n`);
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

/** Where a command acts: the running server at `url`, or the stopped server's open database. */
type Target = { readonly url: string } | { readonly db: Database };

/**
 * Finds where a command acts on the server's data. With `--url`, the server there, which must answer.
 * Otherwise a server answering at the configured bind address; else the stopped server's database,
 * which must exist (never an empty one created here); when a running server holds it, the client URL
 * that server recorded at start-up ({@link readClientUrl}); else the error `locked(db path, URL tried)`.
 */
async function locate(
  config: HearthConfig,
  explicitUrl: string | undefined,
  locked: (db: string, tried: string) => string,
): Promise<Target> {
  if (explicitUrl !== undefined) {
    const url = explicitUrl.replace(/\/+$/, "");
    if (await serverAnswers(url)) return { url };
    throw new CommandError(
      `no server answers at ${url}. Start it, or leave out --url to write to a stopped server's data directory.`,
    );
  }
  const configured = clientUrlOf(config.bind.host, config.bind.port);
  if (await serverAnswers(configured)) return { url: configured };
  const path = join(config.dataDir, "db");
  if (!(await exists(path))) throw new CommandError(`no Hearth data at ${config.dataDir}: ${NO_DATA_HINT}`);
  try {
    return { db: await Database.open(path) };
  } catch (e) {
    if (!isDatabaseLocked(e))
      throw new CommandError(`cannot open the database ${path}: ${(e as Error).message}`);
  }
  const recorded = await readClientUrl(config.dataDir);
  if (recorded !== undefined && recorded !== configured && (await serverAnswers(recorded))) {
    return { url: recorded };
  }
  throw new CommandError(locked(path, configured));
}

/** Whether something answers HTTP at `url` (a running server). */
async function serverAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** A nonce from the server at `url`, or why it refused one. */
async function fetchNonce(url: string): Promise<string | { refused: string }> {
  let res: Response;
  try {
    res = await fetch(`${url}/_synapse/admin/v1/register`, { signal: AbortSignal.timeout(3000) });
  } catch (e) {
    return { refused: (e as Error).message };
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
  again: string,
): Promise<string> {
  if (typeof nonce !== "string") {
    throw new CommandError(
      `a server is running at ${url} and holds the database, but refuses shared-secret registration ` +
        `(${nonce.refused}). Restart it with a secret of at least 16 characters ` +
        "(HEARTH_REGISTRATION_SHARED_SECRET=<secret> npm start, or registration_shared_secret in its config) " +
        `and run:\n  HEARTH_REGISTRATION_SHARED_SECRET=<secret> ${again}\n` +
        "or stop the server and run this command again.",
    );
  }
  if (config.registrationSharedSecret === undefined) {
    throw new CommandError(
      `a server is running at ${url} and holds the database. Register through it with its ` +
        "registration_shared_secret, which this command's configuration lacks:\n" +
        `  HEARTH_REGISTRATION_SHARED_SECRET=<the server's secret> ${again}\n` +
        "or stop the server and run this command again.",
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
    const refused = `${String(body.errcode ?? res.status)} ${String(body.error ?? "")}`.trim();
    const hint =
      body.errcode === "M_FORBIDDEN" ? " (is registration_shared_secret the same as the server's?)" : "";
    throw new CommandError(`the server at ${url} refused: ${refused}${hint}`);
  }
  return body.user_id;
}

/** Runs `fn` with an account service over the stopped server's open database `db`, then closes it. */
async function withAccounts<T>(
  config: HearthConfig,
  db: Database,
  fn: (accounts: AccountService) => Promise<T>,
): Promise<T> {
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

/**
 * `create-registration-token [--token t] [--uses n] [--expiry-ms ms] [--config f] [--url u]
 * [--access-token a]`: through a running server's admin API (`POST
 * /_synapse/admin/v1/registration_tokens/new`), with an admin's access token from `--access-token` or
 * `HEARTH_ADMIN_TOKEN`, else into the stopped server's database ({@link locate}). Prints the token.
 */
async function createRegistrationToken(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      uses: { type: "string" },
      "expiry-ms": { type: "string" },
      token: { type: "string" },
      config: { type: "string", short: "c" },
      url: { type: "string" },
      "access-token": { type: "string" },
    },
  });
  const uses = nonNegativeInteger(values.uses, "--uses");
  const expiryMs = nonNegativeInteger(values["expiry-ms"], "--expiry-ms");
  const config = loadConfig(values.config);
  const accessToken = values["access-token"] || process.env.HEARTH_ADMIN_TOKEN || undefined;
  const expiryTs = expiryMs !== undefined ? Date.now() + expiryMs : null;
  /** This command again, against the server at `url`, for messages. */
  const again = (url: string) =>
    commandLine("create-registration-token", [
      values.token === undefined ? undefined : `--token ${shellWord(values.token)}`,
      values.uses === undefined ? undefined : `--uses ${values.uses}`,
      values["expiry-ms"] === undefined ? undefined : `--expiry-ms ${values["expiry-ms"]}`,
      configPart(values.config),
      `--url ${url}`,
      "--access-token <admin access token>",
    ]);
  const tokenHelp =
    "An admin access token: register an admin (`npx hearth register-user <name> --admin`), log in as " +
    "it and copy its token (Element: Settings > Help & About > Access Token), or set HEARTH_ADMIN_TOKEN.";

  const target = await locate(
    config,
    values.url,
    (db, tried) =>
      `the database ${db} is in use by a running server that does not answer at ${tried}. Create the ` +
      `token through its admin API:\n  ${again("<its client URL>")}\nor stop the server first. ${tokenHelp}`,
  );
  let token: string;
  if ("url" in target) {
    if (accessToken === undefined) {
      throw new CommandError(
        `a server is running at ${target.url} and holds the database. Create the token through its ` +
          `admin API:\n  ${again(shellWord(target.url))}\nor stop the server first. ${tokenHelp}`,
      );
    }
    token = await createTokenRemotely(target.url, accessToken, {
      ...(values.token === undefined ? {} : { token: values.token }),
      uses_allowed: uses ?? null,
      expiry_time: expiryTs,
    });
    io.err(`Created through the admin API at ${target.url}\n`);
  } else {
    const record = await withAccounts(config, target.db, (accounts) =>
      accounts.createRegistrationToken({ token: values.token, usesAllowed: uses ?? null, expiryTs }),
    );
    token = record.token;
    io.err(`Wrote to the stopped server's database in ${config.dataDir}\n`);
  }
  io.out(`${token}\n`);
  return 0;
}

/** Creates a registration token through `POST /_synapse/admin/v1/registration_tokens/new`. */
async function createTokenRemotely(url: string, accessToken: string, body: object): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${url}/_synapse/admin/v1/registration_tokens/new`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new CommandError(`cannot reach ${url}: ${(e as Error).message}`);
  }
  const answer = (await res.json().catch(() => ({}))) as {
    token?: unknown;
    errcode?: unknown;
    error?: unknown;
  };
  if (!res.ok || typeof answer.token !== "string") {
    const refused = `${String(answer.errcode ?? res.status)} ${String(answer.error ?? "")}`.trim();
    const hint =
      answer.errcode === "M_FORBIDDEN" || answer.errcode === "M_UNKNOWN_TOKEN"
        ? " (the access token must be a server admin's)"
        : "";
    throw new CommandError(`the server at ${url} refused: ${refused}${hint}`);
  }
  return answer.token;
}

async function generateKeys(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { config: { type: "string", short: "c" } } });
  const config = loadConfig(values.config);
  const path = join(config.dataDir, "signing.key");
  const existed = await access(path).then(
    () => true,
    () => false,
  );
  const newDir = !(await exists(config.dataDir));
  const key = await loadOrCreateSigningKey(config.dataDir);
  io.out(`${key.keyId}\n`);
  io.err(
    existed
      ? `Signing key already present in ${path}\n`
      : `${newDir ? `Created the data directory ${config.dataDir}; wrote` : "Wrote"} a new signing key to ${path}\n`,
  );
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
  const dir = values.out === undefined ? config!.dataDir : resolve(invocationDir(), values.out);
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
  const keyFile = join(config.dataDir, "signing.key");
  // The key to rotate must exist: a data directory without one is not a server's.
  if (!(await exists(keyFile)))
    throw new CommandError(`no Hearth data at ${config.dataDir}: ${NO_DATA_HINT}`);
  const current = await loadOrCreateSigningKey(config.dataDir);
  const path = join(config.dataDir, "db");
  let db: Database;
  try {
    // The database is created if the key was made by `generate-keys` before the first start.
    db = await Database.open(path);
  } catch (e) {
    if (isDatabaseLocked(e)) {
      throw new CommandError(
        `the database ${path} is in use by a running server, and rotate-keys needs it stopped: stop the ` +
          `server (Ctrl-C or SIGTERM), run \`${commandLine("rotate-keys", [configPart(values.config)])}\` ` +
          "and start it again.",
      );
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
  const temp = `${keyFile}.new`;
  await writeFile(temp, formatSigningKey(next), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, keyFile);
  io.out(`${next.keyId}\n`);
  io.err(`Rotated the signing key: ${current.keyId} is now an old verify key, ${next.keyId} signs.\n`);
  return 0;
}

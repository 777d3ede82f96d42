/**
 * The `hearth` command line: `start`, `register-user`, `create-registration-token`, `generate-keys`,
 * `generate-tls`, `rotate-keys`.
 * Returns the process exit code.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/config.js";
import { type RunningServer, startServer } from "../server.js";
import {
  clientUrlOf,
  isDatabaseLocked,
  readClientUrl,
  recordClientUrl,
  removeClientUrl,
} from "./running-server.js";

const USAGE = `Usage: hearth <command> [options]

Relative paths (--config, data_dir / HEARTH_DATA_DIR, tls_cert, tls_key, federation_ca, --out) are
resolved from the directory you run the command in. The data directory defaults to ./hearth-data.

Commands:
  start [--config hearth.yaml]        run the homeserver (prints its data directory)
  register-user <localpart> [--admin] [--password <pw>] [--config hearth.yaml] [--url <client url>]
                                      register a user on a running server (its shared secret:
                                      registration_shared_secret) or directly in a stopped server's
                                      data directory
  create-registration-token [--token <t>] [--uses <n>] [--expiry-ms <ms from now>] [--config hearth.yaml]
                            [--url <client url>] [--access-token <admin access token>]
                                      create a registration token: through a running server's admin
                                      API (an admin's access token, or HEARTH_ADMIN_TOKEN), or
                                      directly in a stopped server's data directory
  generate-keys [--config hearth.yaml] write a signing key to the data directory if there is none
                                      (creates the directory)
  generate-tls [--server-name <name>] [--out <dir>] [--force] [--config hearth.yaml]
                                      write a self-signed TLS certificate and key (tls.crt, tls.key)
                                      for the federation listener (default: into the data directory)
  rotate-keys [--config hearth.yaml]  new signing key; the current one is kept as an old verify key
                                      (stopped server's data directory)

--url defaults to the configured bind address (HEARTH_BIND, default http://127.0.0.1:8008).
`;

/** Runs the CLI with `argv` (without the node and script paths). */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "start":
        return await start(rest);
      case "register-user":
      case "create-registration-token":
      case "generate-keys":
      case "generate-tls":
      case "rotate-keys": {
        const { runAdminCommand } = await import("./admin-commands.js");
        return await runAdminCommand(command, rest);
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string", short: "c" } }, strict: true });
  const config = loadConfig(values.config);
  process.stdout.write(`Hearth ${config.serverName}: data directory ${config.dataDir}\n`);
  // Handlers first: a signal during start-up must still close cleanly, once start-up finishes.
  let signalled: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: string) => {
    signalled ??= signal;
    wake?.();
  };
  const onTerm = () => onSignal("SIGTERM");
  const onInt = () => onSignal("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  try {
    let server: RunningServer;
    try {
      // The web client is rebuilt in the background when its sources changed since the last build.
      server = await startServer(config, undefined, { webClient: { build: true } });
    } catch (e) {
      if (!isDatabaseLocked(e)) throw e;
      const url = await readClientUrl(config.dataDir);
      process.stderr.write(
        `Another Hearth is running on the data directory ${config.dataDir}${url ? ` (at ${url})` : ""}: ` +
          "stop it first, or give this one another data directory (HEARTH_DATA_DIR or data_dir).\n",
      );
      return 1;
    }
    // For CLI commands run while the server holds the database (see running-server.ts); they can do
    // without it, so a failure is only logged.
    await recordClientUrl(config.dataDir, clientUrlOf(config.bind.host, server.port)).catch((err) =>
      server.context.logger.warn({ err }, "cannot record the client URL in the data directory"),
    );
    process.stdout.write(`Hearth ${config.serverName} is listening on ${server.url}\n`);
    if (signalled === undefined) await new Promise<void>((resolve) => (wake = resolve));
    server.context.logger.info({ signal: signalled }, "shutting down");
    await removeClientUrl(config.dataDir).catch(() => {});
    await server.close();
    return 0;
  } finally {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  }
}

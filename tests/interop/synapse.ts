/**
 * A real Synapse homeserver as a process beside a {@link FederationCluster}, for interoperability
 * tests. Synapse is not a dependency of this project and none of its code is in this repository:
 * the tests use a Synapse the machine already has, found by {@link findSynapse}:
 *
 * - `HEARTH_SYNAPSE_PYTHONPATH`: a directory holding the `synapse` package (a source checkout), put
 *   on `PYTHONPATH`; or
 * - a Python (`HEARTH_SYNAPSE_PYTHON`, default `python3`) that can `import synapse`.
 *
 * The Synapse speaks federation only over TLS on an IP-literal server name with a port, like the
 * Hearth nodes, with a certificate from the cluster's test CA, which it also trusts for outbound
 * requests (`federation_custom_ca_list`); loopback is allowed (`ip_range_whitelist`), and it asks
 * no notary (`trusted_key_servers: []`), so it fetches every key from the origin's
 * `/_matrix/key/v2/server` as the spec describes.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { register, type UserClient } from "../support/matrix.js";
import type { ControlledProxy } from "../support/tcp-proxy.js";

export interface SynapseInstall {
  readonly python: string;
  readonly env: Record<string, string>;
  readonly version: string;
}

/** The Synapse this machine can run, or a reason why none. */
export function findSynapse(): SynapseInstall | { missing: string } {
  const python = process.env.HEARTH_SYNAPSE_PYTHON ?? "python3";
  const env: Record<string, string> = {};
  if (process.env.HEARTH_SYNAPSE_PYTHONPATH) env.PYTHONPATH = process.env.HEARTH_SYNAPSE_PYTHONPATH;
  try {
    const version = execFileSync(python, ["-c", "import synapse; print(synapse.__version__)"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    })
      .toString()
      .trim();
    return { python, env, version };
  } catch {
    return {
      missing:
        `no Synapse: \`${python} -c "import synapse"\` failed. Set HEARTH_SYNAPSE_PYTHONPATH to a ` +
        "Synapse source checkout (and HEARTH_SYNAPSE_PYTHON to a Python with its dependencies) to run " +
        "the Synapse interoperability tests",
    };
  }
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One Synapse process. */
export class SynapseServer {
  #dir: string | undefined;
  #child: ChildProcess | undefined;
  #log = "";
  name = "";
  url = "";

  constructor(
    private readonly install: SynapseInstall,
    private readonly host: string,
  ) {}

  /** The proxy in front of its federation listener, when started with one. */
  proxy: ControlledProxy | undefined;

  /** Its process ID while it runs. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  /**
   * Writes the config, generates its signing key and starts it; resolves once it answers. With
   * `proxy` (given the listener's port, returns a listening proxy in front of it), the server name
   * is the proxy's address, so all federation traffic into it passes the proxy.
   */
  async start(
    tls: { cert: string; key: string; ca: string },
    proxy?: (listenerPort: number) => Promise<ControlledProxy>,
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "hearth-synapse-"));
    this.#dir = dir;
    const fedPort = await freePort(this.host);
    const clientPort = await freePort(this.host);
    this.proxy = proxy ? await proxy(fedPort) : undefined;
    this.name = `${this.host}:${this.proxy ? this.proxy.port : fedPort}`;
    this.url = `http://${this.host}:${clientPort}`;
    await writeFile(join(dir, "tls.crt"), tls.cert);
    await writeFile(join(dir, "tls.key"), tls.key, { mode: 0o600 });
    await writeFile(join(dir, "ca.crt"), tls.ca);
    await writeFile(
      join(dir, "log.yaml"),
      [
        "version: 1",
        "formatters: {precise: {format: '%(asctime)s %(name)s %(levelname)s %(request)s %(message)s'}}",
        "filters: {context: {(): synapse.logging.context.LoggingContextFilter, request: ''}}",
        `handlers: {file: {class: logging.FileHandler, formatter: precise, filters: [context], filename: '${join(dir, "homeserver.log")}'}}`,
        "root: {level: INFO, handlers: [file]}",
        "disable_existing_loggers: false",
        "",
      ].join("\n"),
    );
    const config = {
      server_name: this.name,
      pid_file: join(dir, "homeserver.pid"),
      listeners: [
        {
          port: fedPort,
          bind_addresses: [this.host],
          type: "http",
          tls: true,
          resources: [{ names: ["federation", "media"], compress: false }],
        },
        {
          port: clientPort,
          bind_addresses: [this.host],
          type: "http",
          tls: false,
          resources: [{ names: ["client", "media"], compress: false }],
        },
      ],
      tls_certificate_path: join(dir, "tls.crt"),
      tls_private_key_path: join(dir, "tls.key"),
      federation_verify_certificates: true,
      federation_custom_ca_list: [join(dir, "ca.crt")],
      ip_range_blacklist: [],
      ip_range_whitelist: ["127.0.0.0/8"],
      database: { name: "sqlite3", args: { database: join(dir, "homeserver.db") } },
      log_config: join(dir, "log.yaml"),
      media_store_path: join(dir, "media"),
      signing_key_path: join(dir, "signing.key"),
      trusted_key_servers: [],
      suppress_key_server_warning: true,
      report_stats: false,
      enable_registration: true,
      // Off by default in Synapse: lets other servers read its public room directory.
      allow_public_rooms_over_federation: true,
      enable_registration_without_verification: true,
      macaroon_secret_key: "interop-macaroon",
      form_secret: "interop-form",
      rc_message: { per_second: 1000, burst_count: 1000 },
      rc_registration: { per_second: 1000, burst_count: 1000 },
      rc_login: {
        address: { per_second: 1000, burst_count: 1000 },
        account: { per_second: 1000, burst_count: 1000 },
      },
      rc_joins: {
        local: { per_second: 1000, burst_count: 1000 },
        remote: { per_second: 1000, burst_count: 1000 },
      },
      rc_invites: {
        per_room: { per_second: 1000, burst_count: 1000 },
        per_user: { per_second: 1000, burst_count: 1000 },
      },
      rc_federation: {
        window_size: 1000,
        sleep_limit: 1000,
        sleep_delay: 1,
        reject_limit: 1000,
        concurrent: 100,
      },
      federation_rr_transactions_per_room_per_second: 1000,
    };
    const configFile = join(dir, "homeserver.yaml");
    // JSON is YAML.
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const env = { ...process.env, ...this.install.env };
    execFileSync(this.install.python, ["-m", "synapse.app.homeserver", "-c", configFile, "--generate-keys"], {
      env,
      cwd: dir,
      stdio: "ignore",
      timeout: 60_000,
    });
    const child = spawn(this.install.python, ["-m", "synapse.app.homeserver", "-c", configFile], {
      env,
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    child.stdout?.on("data", (d: Buffer) => {
      this.#log += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.#log += d.toString();
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Synapse exited (${child.exitCode}):\n${this.#log}`);
      try {
        const res = await fetch(`${this.url}/_matrix/client/versions`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`Synapse did not start in 60 s:\n${this.#log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Registers a user (open registration, dummy auth). */
  register(localpart: string): Promise<UserClient> {
    return register(this.url, localpart, "correct horse battery staple");
  }

  /** The directory holding its config, database and `homeserver.log`. */
  get dir(): string | undefined {
    return this.#dir;
  }

  /** With `HEARTH_KEEP_SYNAPSE`, writes the Hearth nodes' stderr beside Synapse's log, for diagnosis. */
  async keepHearthLogs(nodes: readonly { index: number; process?: { stderr: string } | undefined }[]) {
    if (!process.env.HEARTH_KEEP_SYNAPSE || !this.#dir) return;
    for (const n of nodes) await writeFile(join(this.#dir, `hearth-${n.index}.log`), n.process?.stderr ?? "");
  }

  /** Stops the process and deletes its directory (unless `HEARTH_KEEP_SYNAPSE` is set). */
  async cleanup(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    if (this.#dir && !process.env.HEARTH_KEEP_SYNAPSE) await rm(this.#dir, { recursive: true, force: true });
  }
}

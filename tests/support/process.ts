/**
 * Hearth as a real operating-system process, for tests that stop, kill and restart the server:
 * `node homeserver/bin/hearth.mjs start` on 127.0.0.1 with a temporary data directory. The process
 * binds port 0 the first time (a free port chosen by the kernel) and reports its URL on stdout;
 * a restart reuses the data directory and, when it can, the same port.
 *
 * Every process belongs to a {@link ProcessGroup}; `afterAll(() => group.cleanup())` kills whatever is
 * still running and deletes the data directories, and a synchronous `exit` hook SIGKILLs any process
 * the worker would otherwise leave behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is `tests/support/process.ts`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The `hearth` executable. */
export const HEARTH_BIN = join(REPO_ROOT, "homeserver/bin/hearth.mjs");

/** Options for {@link ProcessGroup.start}. */
export interface HearthProcessOptions {
  /** Extra or overriding environment variables (`HEARTH_*`). */
  readonly env?: Readonly<Record<string, string>>;
  /** An existing data directory (default: a new temporary one, deleted on cleanup). */
  readonly dataDir?: string;
  /** How long to wait for "listening" (default 60 s: tsx compiles the sources on first start). */
  readonly readyTimeoutMs?: number;
  /** The address the client API binds (default 127.0.0.1; multi-node tests use 127.0.0.N). */
  readonly host?: string;
}

/** Most stderr kept per process (the tail), for diagnostics. */
const STDERR_LIMIT = 64 * 1024;

/** Raised when a process exits or times out before it is ready; carries its stderr. */
export class HearthProcessError extends Error {
  override readonly name = "HearthProcessError";
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(`${message}\n--- stderr ---\n${stderr}`);
  }
}

/** One Hearth server process (and its successors after restarts). */
export class HearthProcess {
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> | undefined;
  #stderr = "";
  #url = "";
  #port = 0;
  /** Kills the child when this (test worker) process exits or is told to terminate. */
  #onExit = () => this.#child?.kill("SIGKILL");
  #onSignal = (signal: NodeJS.Signals) => {
    this.#child?.kill("SIGKILL");
    this.#unhook();
    // Re-raise, so the default action (or the remaining listeners) still ends this process.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  constructor(
    readonly dataDir: string,
    private readonly env: Readonly<Record<string, string>>,
    private readonly readyTimeoutMs: number,
    private readonly host = "127.0.0.1",
  ) {}

  /** The client API base URL of the current process, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.#url;
  }

  /** The port of the current process. */
  get port(): number {
    return this.#port;
  }

  /** The process ID of the running process (undefined when stopped). */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** Whether a process is running. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Everything the processes wrote to stderr so far (the last 64 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Starts the process and waits until it listens. Reuses the last port if it can. */
  async start(): Promise<void> {
    if (this.running) throw new Error("Hearth process already running");
    if (this.#port !== 0) {
      try {
        await this.#spawn(this.#port);
        return;
      } catch (e) {
        if (!(e instanceof HearthProcessError) || !/EADDRINUSE/.test(e.stderr)) throw e;
      }
    }
    await this.#spawn(0);
  }

  /** SIGTERM (graceful shutdown) and waits for the exit code; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    const child = this.#child;
    const exit = this.#exit;
    if (!child || !exit) throw new Error("Hearth process was never started");
    if (!this.running) return exit;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL (a crash) and waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.#exit) return;
    this.#child?.kill("SIGKILL");
    await this.#exit;
  }

  /** Stops the process gracefully if it runs, then starts it again on the same data directory. */
  async restart(): Promise<number | null> {
    const code = this.running ? await this.stop() : null;
    await this.start();
    return code;
  }

  #unhook(): void {
    process.off("exit", this.#onExit);
    process.off("SIGTERM", this.#onSignal);
    process.off("SIGINT", this.#onSignal);
  }

  #spawn(port: number): Promise<void> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith("HEARTH_")) env[k] = v;
    Object.assign(env, {
      HEARTH_BIND: `${this.host}:${port}`,
      HEARTH_DATA_DIR: this.dataDir,
      HEARTH_RATE_LIMITS: "off",
      HEARTH_LOG_LEVEL: "warn",
      HEARTH_SERVER_NAME: "localhost",
      ...this.env,
    });
    const child = spawn(process.execPath, ["--max-semi-space-size=4", HEARTH_BIN, "start"], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    process.on("exit", this.#onExit);
    process.on("SIGTERM", this.#onSignal);
    process.on("SIGINT", this.#onSignal);
    this.#exit = new Promise((resolveExit) => {
      child.once("exit", (code) => {
        this.#unhook();
        resolveExit(code);
      });
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_LIMIT);
    });
    child.stdout!.setEncoding("utf8");
    return new Promise<void>((resolveReady, reject) => {
      let stdout = "";
      const done = () => {
        clearTimeout(timer);
        child.off("exit", onEarlyExit);
        child.off("error", onError);
        child.stdout!.off("data", onStdout);
        child.stdout!.resume();
      };
      const fail = (why: string) => {
        done();
        child.kill("SIGKILL");
        reject(new HearthProcessError(why, this.#stderr));
      };
      const onEarlyExit = (code: number | null, signal: string | null) =>
        fail(`Hearth exited before it was ready (code ${code}, signal ${signal})`);
      const onError = (e: Error) => fail(`Hearth could not be spawned: ${e.message}`);
      const onStdout = (chunk: string) => {
        stdout += chunk;
        const m = /is listening on (http:\/\/\S+)/.exec(stdout);
        if (!m) return;
        done();
        this.#url = m[1]!;
        this.#port = Number(new URL(this.#url).port);
        resolveReady();
      };
      const timer = setTimeout(
        () => fail(`Hearth did not listen within ${this.readyTimeoutMs} ms`),
        this.readyTimeoutMs,
      );
      child.once("exit", onEarlyExit);
      child.once("error", onError);
      child.stdout!.on("data", onStdout);
    });
  }
}

/** The processes of one test file; `cleanup()` in `afterAll`. */
export class ProcessGroup {
  readonly #processes: HearthProcess[] = [];
  readonly #ownedDirs: string[] = [];

  /** Starts a Hearth process on a free port with a new (or the given) data directory. */
  async start(options: HearthProcessOptions = {}): Promise<HearthProcess> {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "hearth-proc-")));
    if (!options.dataDir) this.#ownedDirs.push(dataDir);
    const proc = new HearthProcess(
      dataDir,
      options.env ?? {},
      options.readyTimeoutMs ?? 60_000,
      options.host ?? "127.0.0.1",
    );
    this.#processes.push(proc);
    await proc.start();
    return proc;
  }

  /** Kills every process still running and deletes the temporary data directories. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.kill()));
    await Promise.all(this.#ownedDirs.map((d) => rm(d, { recursive: true, force: true })));
    this.#processes.length = 0;
    this.#ownedDirs.length = 0;
  }
}

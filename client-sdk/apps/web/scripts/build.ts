/**
 * Builds the web client into `dist/` when it is missing or stale, so that `npm ci && npm start` serves
 * it with no build command of the user's: `npm ci` runs this (the root `prepare` script), and
 * `hearth start` calls {@link ensureBuilt} in the background when the sources changed since.
 *
 * Stale means: the stamp `dist/.hearth-build.json` does not match a hash of the inputs' paths, sizes
 * and modification times (the app, the SDK and `@hearth/federation`'s sources, which Vite bundles,
 * and the lockfile; tests excluded). Vite runs in a child process, into a temporary directory that
 * replaces `dist/` only once complete, so a server keeps serving the previous build meanwhile. A
 * lock file lets one process build while others (several servers started at once) wait for it.
 *
 * Run: `tsx client-sdk/apps/web/scripts/build.ts [--force]` (the package's `npm run build` forces).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The web client's package folder. */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the build goes: the files the homeserver serves. */
export const DIST_DIR = join(WEB_ROOT, "dist");
/** The stamp in `dist/`: the hash of the inputs it was built from. */
export const STAMP_FILE = ".hearth-build.json";
const LOCK_FILE = join(WEB_ROOT, ".build.lock");
const REPO_ROOT = resolve(WEB_ROOT, "../../..");

/** The build's inputs: files and folders, walked recursively. */
const INPUTS = [
  join(WEB_ROOT, "index.html"),
  join(WEB_ROOT, "vite.config.ts"),
  join(WEB_ROOT, "package.json"),
  join(WEB_ROOT, "src"),
  join(WEB_ROOT, "public"),
  join(REPO_ROOT, "client-sdk/package.json"),
  join(REPO_ROOT, "client-sdk/src"),
  join(REPO_ROOT, "federation/package.json"),
  join(REPO_ROOT, "federation/src"),
  join(REPO_ROOT, "package-lock.json"),
];

/** Files that never reach the bundle. */
const IGNORED = /\.test\.tsx?$|(^|\/)node_modules(\/|$)/;

/** A hash of every input file's path, size and modification time. */
export async function sourceStamp(): Promise<string> {
  const lines: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const s = await stat(path).catch(() => undefined);
    if (!s) return;
    const rel = relative(REPO_ROOT, path);
    if (IGNORED.test(rel)) return;
    if (s.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
    } else if (s.isFile()) {
      lines.push(`${rel}\t${s.size}\t${Math.trunc(s.mtimeMs)}`);
    }
  };
  for (const input of INPUTS) await walk(input);
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** The stamp of the build in `distDir`, if there is one. */
export async function builtStamp(distDir = DIST_DIR): Promise<string | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(distDir, STAMP_FILE), "utf8")) as { sources?: unknown };
    return typeof stamp.sources === "string" ? stamp.sources : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `dist/` is missing or was built from other sources than those on disk now. */
export async function isStale(): Promise<boolean> {
  return (await builtStamp()) !== (await sourceStamp());
}

/** The Vite executable, or `undefined` when Vite is not installed (e.g. `npm ci --omit=dev`). */
export function viteBin(): string | undefined {
  try {
    const pkg = createRequire(join(WEB_ROOT, "package.json")).resolve("vite/package.json");
    const bin = join(dirname(pkg), "bin/vite.js");
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Thrown when the build cannot run or fails; the message says why (Vite's own output included). */
export class WebBuildError extends Error {
  override readonly name = "WebBuildError";
}

/** Options of {@link ensureBuilt}. */
export interface EnsureBuiltOptions {
  /** Build even when `dist/` is fresh. */
  readonly force?: boolean;
  /** Progress messages. */
  readonly log?: (message: string) => void;
  /** Stops the build (the child is killed, the temporary output removed). */
  readonly signal?: AbortSignal;
  /** Run Vite at a lower CPU priority (a server building in the background). */
  readonly lowPriority?: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the build lock, waiting while a live process holds it. Returns false when, after waiting,
 * `dist/` turned out fresh (the other process built it).
 */
async function lock(options: EnsureBuiltOptions): Promise<boolean> {
  let waited = false;
  for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline; ) {
    if (options.signal?.aborted) throw new WebBuildError("build aborted");
    try {
      const handle = await open(LOCK_FILE, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      if (waited && !options.force && !(await isStale())) {
        await rm(LOCK_FILE, { force: true });
        return false;
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = Number((await readFile(LOCK_FILE, "utf8").catch(() => "")).trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      if (!waited) options.log?.(`waiting for the web client build of process ${holder}`);
      waited = true;
      await sleep(250);
    } else {
      // Left by a process that died mid-build (or being written this instant: then the retry waits).
      await sleep(50);
      const again = Number((await readFile(LOCK_FILE, "utf8").catch(() => "")).trim());
      if (again === holder) await rm(LOCK_FILE, { force: true });
    }
  }
  throw new WebBuildError(`the web client build lock ${LOCK_FILE} is still held after 10 minutes`);
}

/** Runs `vite build` into `outDir`. */
function runVite(bin: string, outDir: string, options: EnsureBuiltOptions): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [bin, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"],
      { cwd: WEB_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "production" } },
    );
    if (options.lowPriority && child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // Not permitted here: build at normal priority.
      }
    }
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-16_384);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const onAbort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.once("error", (e) => reject(new WebBuildError(`cannot run Vite: ${e.message}`)));
    child.once("exit", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (code === 0) resolvePromise();
      else
        reject(
          new WebBuildError(
            options.signal?.aborted
              ? "build aborted"
              : `vite build failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`,
          ),
        );
    });
  });
}

/**
 * Builds `dist/` when it is missing or stale (or always, with `force`). Resolves `fresh` when there
 * was nothing to do, `built` after a build; rejects with {@link WebBuildError} when Vite is missing
 * or the build fails (the previous `dist/`, if any, stays).
 */
export async function ensureBuilt(options: EnsureBuiltOptions = {}): Promise<"fresh" | "built"> {
  if (!options.force && !(await isStale())) return "fresh";
  const bin = viteBin();
  if (!bin)
    throw new WebBuildError(
      "Vite is not installed (install the dev dependencies: npm ci) to build the web client",
    );
  if (!(await lock(options))) return "fresh";
  const tmp = join(WEB_ROOT, `.dist-tmp-${process.pid}`);
  const old = join(WEB_ROOT, `.dist-old-${process.pid}`);
  try {
    // Leftovers of builds whose process died.
    for (const name of await readdir(WEB_ROOT)) {
      const m = /^\.dist-(?:tmp|old)-(\d+)$/.exec(name);
      if (m && (Number(m[1]) === process.pid || !alive(Number(m[1]))))
        await rm(join(WEB_ROOT, name), { recursive: true, force: true });
    }
    const sources = await sourceStamp();
    const started = Date.now();
    options.log?.("building the web client (client-sdk/apps/web) with Vite");
    await runVite(bin, tmp, options);
    await writeFile(
      join(tmp, STAMP_FILE),
      `${JSON.stringify({ sources, builtAt: new Date().toISOString() })}\n`,
    );
    if (existsSync(DIST_DIR)) await rename(DIST_DIR, old);
    await rename(tmp, DIST_DIR);
    await rm(old, { recursive: true, force: true });
    options.log?.(`web client built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return "built";
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(LOCK_FILE, { force: true });
  }
}

// As a script: build if stale (`--force`: always). A failure is reported, and fails the command
// only with --strict: `npm ci` must not fail for it (the server says so, and retries, at start).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes("--force");
  const strict = process.argv.includes("--strict") || force;
  try {
    const result = await ensureBuilt({ force, log: (m) => console.log(`@hearth/web: ${m}`) });
    if (result === "fresh") console.log("@hearth/web: the web client build is up to date");
  } catch (e) {
    console.error(`@hearth/web: ${(e as Error).message}`);
    if (strict) process.exitCode = 1;
  }
}

// The `hearth` executable as a user runs it, in child processes: where relative paths resolve (the
// directory the command was run in: INIT_CWD when npm ran it, else the working directory), the
// refusal of a data directory without data, and how commands find a server running on their data.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/hearth.mjs", import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "hearth-paths-")));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The environment of a child: ours without HEARTH_* and INIT_CWD (npm sets it for `npm test`), plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("HEARTH_") && k !== "INIT_CWD") out[k] = v;
  }
  return { ...out, HEARTH_LOG_LEVEL: "silent", ...env };
}

/** Runs `hearth <args>` in `cwd` to completion. */
function hearth(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: childEnv(env), timeout: 30_000 },
      (error, out, err) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, out, err });
      },
    );
  });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("hearth paths", () => {
  it("resolves a relative --config, and data_dir in it, from INIT_CWD; refuses a data directory without data", async () => {
    const site = await tempDir();
    const elsewhere = await tempDir();
    await mkdir(join(site, "conf"));
    await writeFile(join(site, "conf", "hearth.yaml"), 'data_dir: data\nbind: "127.0.0.1:1"\n');
    // As npm runs a script: the working directory is a package's folder, INIT_CWD where the user was.
    const res = await hearth(["register-user", "alice", "--config", "conf/hearth.yaml"], elsewhere, {
      INIT_CWD: site,
    });
    expect(res.code).toBe(1);
    expect(res.err).toBe(
      `register-user: no Hearth data at ${join(site, "data")}: start the server once with \`npm start\`, ` +
        "or point --config / HEARTH_DATA_DIR at its data\n",
    );
    expect(await exists(join(site, "data"))).toBe(false);
    expect(await exists(join(elsewhere, "data"))).toBe(false);
  });

  it("start puts ./hearth-data in its working directory and says so; commands find the running server", async () => {
    const site = await tempDir();
    const elsewhere = await tempDir();
    const server = spawn(process.execPath, ["--max-semi-space-size=4", BIN, "start"], {
      cwd: site,
      env: childEnv({ HEARTH_BIND: "127.0.0.1:0" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(server);
    let stdout = "";
    server.stdout!.setEncoding("utf8");
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on("data", (chunk: string) => {
        stdout += chunk;
        const m = /is listening on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      server.once("exit", (code) => reject(new Error(`hearth start exited (${code}): ${stdout}`)));
    });
    const data = join(site, "hearth-data");
    expect(stdout).toContain(`Hearth localhost: data directory ${data}\n`);
    expect((await readFile(join(data, "client-url"), "utf8")).trim()).toBe(url);

    // Configured with another port, run from elsewhere: it finds the server through its data directory.
    const token = await hearth(["create-registration-token", "--uses", "3"], elsewhere, {
      INIT_CWD: site,
      HEARTH_BIND: "127.0.0.1:1",
    });
    expect(token.code).toBe(1);
    expect(token.err).toContain(
      `a server is running at ${url} and holds the database. Create the token through its admin API:\n` +
        `  npx hearth create-registration-token --uses 3 --url ${url} --access-token <admin access token>\n` +
        "or stop the server first.",
    );

    const exit = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(await exists(join(data, "client-url"))).toBe(false);
  });
});

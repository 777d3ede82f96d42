import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Database } from "../storage/db.js";
import { Client, startTestServer } from "../testing/harness.js";
import { type CommandIo, runAdminCommand } from "./admin-commands.js";

const SECRET = "cli-test-shared-secret-0123456789";
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-cli-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/**
 * A config file in `dir` with `dir` as data directory and `keys` over it; port 1 has no server, so
 * commands fall back to the data directory.
 */
async function configFile(dir: string, keys: Record<string, string> = {}): Promise<string> {
  const path = join(dir, "hearth.yaml");
  const all = { data_dir: dir, bind: "127.0.0.1:1", log_level: "silent", ...keys };
  await writeFile(
    path,
    Object.entries(all)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
      .join(""),
  );
  return path;
}

/** A data directory as a server leaves it: the database exists. */
async function serverData(dataDir: string): Promise<void> {
  await (await Database.open(join(dataDir, "db"))).close();
}

async function run(command: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CommandIo = { out: (t) => (out += t), err: (t) => (err += t) };
  const code = await runAdminCommand(command, args, io);
  return { code, out, err };
}

describe("hearth admin commands", () => {
  it("generate-keys writes a key once and prints its ID", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    const first = await run("generate-keys", ["--config", config]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^ed25519:a_[A-Za-z0-9_-]+\n$/);
    const stored = await readFile(join(dir, "signing.key"), "utf8");
    const second = await run("generate-keys", ["--config", config]);
    expect(second.out).toBe(first.out);
    expect(await readFile(join(dir, "signing.key"), "utf8")).toBe(stored);
  });

  it("register-user writes to a stopped server's data directory and prints a generated password", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    await serverData(dir);
    const res = await run("register-user", ["alice", "--config", config]);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/^Registered @alice:localhost\nPassword: \S+\n$/);
    expect(res.err).toBe(`Wrote to the stopped server's database in ${dir}\n`);
    const password = /Password: (\S+)/.exec(res.out)![1]!;
    const taken = await run("register-user", ["alice", "--config", config, "--password", "x"]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/already taken/);

    const server = await startTestServer({}, dir);
    try {
      const login = await new Client(server.url).post("/_matrix/client/v3/login", {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: "alice" },
        password,
      });
      expect(login.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("register-user explains a locked database", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    const holder = await Database.open(join(dir, "db"));
    try {
      const res = await run("register-user", ["bob", "--config", config, "--password", "pw"]);
      expect(res.code).toBe(1);
      expect(res.err).toBe(
        `register-user: the database ${join(dir, "db")} is in use by a running server that does not answer ` +
          "at http://127.0.0.1:1. Register through it with its registration_shared_secret:\n" +
          "  HEARTH_REGISTRATION_SHARED_SECRET=<the server's secret> npx hearth register-user bob " +
          `--password <password> --config ${config} --url <its client URL>\n` +
          "or stop the server and run this command again.\n",
      );
      const token = await run("create-registration-token", ["--config", config]);
      expect(token.code).toBe(1);
      expect(token.err).toContain(
        "  npx hearth create-registration-token " +
          `--config ${config} --url <its client URL> --access-token <admin access token>\n` +
          "or stop the server first.",
      );
      expect((await run("generate-keys", ["--config", config])).code).toBe(0);
      const rotate = await run("rotate-keys", ["--config", config]);
      expect(rotate.code).toBe(1);
      expect(rotate.err).toContain(
        `the database ${join(dir, "db")} is in use by a running server, and rotate-keys needs it stopped: ` +
          `stop the server (Ctrl-C or SIGTERM), run \`npx hearth rotate-keys --config ${config}\` and start it again.`,
      );
    } finally {
      await holder.close();
    }
  });

  it("register-user registers through a running server with the shared secret, as admin", async () => {
    const dir = await tempDir();
    const server = await startTestServer({ registration_shared_secret: SECRET, registration: "closed" }, dir);
    try {
      const config = await configFile(await tempDir(), { registration_shared_secret: SECRET });
      const res = await run("register-user", [
        "@root:localhost",
        "--admin",
        "--password",
        "rootpw",
        "--config",
        config,
        "--url",
        server.url,
      ]);
      expect(res.code, res.err).toBe(0);
      expect(res.out).toBe("Registered @root:localhost (admin)\n");
      const client = new Client(server.url);
      const login = await client.post("/_matrix/client/v3/login", {
        type: "m.login.password",
        user: "root",
        password: "rootpw",
      });
      expect(login.status).toBe(200);
      // inhibit_login: the registration itself left no device behind.
      const devices = await client.as(login.body.access_token).get("/_matrix/client/v3/devices");
      expect(devices.body.devices).toHaveLength(1);

      const noSecret = await configFile(await tempDir());
      const refused = await run("register-user", ["other", "--config", noSecret, "--url", server.url]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(
        `  HEARTH_REGISTRATION_SHARED_SECRET=<the server's secret> npx hearth register-user other --config ${noSecret} --url ${server.url}\n`,
      );
    } finally {
      await server.close();
    }
  });

  it("create-registration-token creates a token that registration accepts", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    await serverData(dir);
    const res = await run("create-registration-token", [
      "--uses",
      "1",
      "--expiry-ms",
      "600000",
      "--config",
      config,
    ]);
    expect(res.code, res.err).toBe(0);
    const token = res.out.trim();
    expect(token).toMatch(/^[A-Za-z0-9]{16}$/);
    expect((await run("create-registration-token", ["--uses", "-1", "--config", config])).code).toBe(1);
    expect((await run("create-registration-token", ["--bogus", "--config", config])).code).toBe(1);

    const server = await startTestServer({ registration: "token" }, dir);
    try {
      const client = new Client(server.url);
      const validity = await client.get(
        `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`,
      );
      expect(validity.body).toEqual({ valid: true });
      const reg = await client.post("/_matrix/client/v3/register", {
        username: "invited",
        password: "pw",
        auth: { type: "m.login.registration_token", token },
      });
      expect(reg.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("commands that change a server's data refuse a directory without it; generate-keys creates one", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    for (const [command, args] of [
      ["register-user", ["alice", "--password", "pw"]],
      ["create-registration-token", []],
      ["rotate-keys", []],
    ] as const) {
      const res = await run(command, [...args, "--config", config]);
      expect(res.code).toBe(1);
      expect(res.err).toBe(
        `${command}: no Hearth data at ${dir}: start the server once with \`npm start\`, ` +
          "or point --config / HEARTH_DATA_DIR at its data\n",
      );
    }
    const explicit = await run("register-user", ["alice", "--config", config, "--url", "http://127.0.0.1:1"]);
    expect(explicit.err).toMatch(/^register-user: no server answers at http:\/\/127\.0\.0\.1:1\./);

    const fresh = join(dir, "new");
    const keys = await run("generate-keys", ["--config", await configFile(dir, { data_dir: fresh })]);
    expect(keys.code, keys.err).toBe(0);
    expect(keys.err).toBe(
      `Created the data directory ${fresh}; wrote a new signing key to ${join(fresh, "signing.key")}\n`,
    );
  });

  it("create-registration-token goes through a running server's admin API with an admin's access token", async () => {
    const server = await startTestServer({ registration_shared_secret: SECRET, registration: "token" });
    try {
      const secretConfig = await configFile(await tempDir(), { registration_shared_secret: SECRET });
      const client = new Client(server.url);
      const login = async (name: string, admin: boolean) => {
        const args = [name, "--password", "pw", "--config", secretConfig, "--url", server.url];
        expect((await run("register-user", admin ? [...args, "--admin"] : args)).code).toBe(0);
        const res = await client.post("/_matrix/client/v3/login", {
          type: "m.login.password",
          user: name,
          password: "pw",
        });
        return res.body.access_token as string;
      };
      const rootToken = await login("root", true);
      const bobToken = await login("bob", false);
      // The configured bind is the running server's: it is found without --url.
      const config = await configFile(await tempDir(), { bind: `127.0.0.1:${server.port}` });
      const url = `http://127.0.0.1:${server.port}`;

      const refused = await run("create-registration-token", ["--uses", "3", "--config", config]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(
        `a server is running at ${url} and holds the database. Create the token through its admin API:\n` +
          `  npx hearth create-registration-token --uses 3 --config ${config} --url ${url} --access-token <admin access token>\n` +
          "or stop the server first.",
      );
      const notAdmin = await run("create-registration-token", [
        "--config",
        config,
        "--access-token",
        bobToken,
      ]);
      expect(notAdmin.code).toBe(1);
      expect(notAdmin.err).toContain(`the server at ${url} refused: M_FORBIDDEN`);

      const created = await run("create-registration-token", [
        "--uses",
        "3",
        "--config",
        config,
        "--access-token",
        rootToken,
      ]);
      expect(created.code, created.err).toBe(0);
      expect(created.err).toBe(`Created through the admin API at ${url}\n`);
      const validity = await client.get(
        `/_matrix/client/v1/register/m.login.registration_token/validity?token=${created.out.trim()}`,
      );
      expect(validity.body).toEqual({ valid: true });

      vi.stubEnv("HEARTH_ADMIN_TOKEN", rootToken);
      const fromEnv = await run("create-registration-token", ["--token", "fromenv", "--url", server.url]);
      expect(fromEnv.code, fromEnv.err).toBe(0);
      expect(fromEnv.out).toBe("fromenv\n");
    } finally {
      vi.unstubAllEnvs();
      await server.destroy();
    }
  });

  it("reports usage errors", async () => {
    expect((await run("register-user", [])).code).toBe(1);
    expect((await run("register-user", ["a", "b"])).code).toBe(1);
    expect((await run("nonsense", [])).code).toBe(1);
  });

  it("runs through the hearth executable", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
    const bin = fileURLToPath(new URL("../../bin/hearth.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, "generate-keys", "--config", config],
      {
        timeout: 20_000,
      },
    );
    expect(stdout).toMatch(/^ed25519:/);
  });
});

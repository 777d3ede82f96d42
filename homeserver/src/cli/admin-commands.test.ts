import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
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

/** A config file for `dataDir`; port 1 has no server, so commands fall back to the data directory. */
async function configFile(dataDir: string, extra = ""): Promise<string> {
  const path = join(dataDir, "hearth.yaml");
  await writeFile(path, `data_dir: ${dataDir}\nbind: "127.0.0.1:1"\nlog_level: silent\n${extra}`);
  return path;
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
    const res = await run("register-user", ["alice", "--config", config]);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/^Registered @alice:localhost\nPassword: \S+\n$/);
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
      expect(res.err).toMatch(/in use by a running server/);
    } finally {
      await holder.close();
    }
  });

  it("register-user registers through a running server with the shared secret, as admin", async () => {
    const dir = await tempDir();
    const server = await startTestServer({ registration_shared_secret: SECRET, registration: "closed" }, dir);
    try {
      const config = await configFile(await tempDir(), `registration_shared_secret: ${SECRET}\n`);
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
      expect(refused.err).toMatch(/registration_shared_secret/);
    } finally {
      await server.close();
    }
  });

  it("create-registration-token creates a token that registration accepts", async () => {
    const dir = await tempDir();
    const config = await configFile(dir);
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

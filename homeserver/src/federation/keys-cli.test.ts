import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey, verifyServerKeys } from "@hearth/federation";
import { Hono } from "hono";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type CommandIo, runAdminCommand } from "../cli/admin-commands.js";
import { formatSigningKey, loadOrCreateSigningKey } from "../signing-key.js";
import { Database } from "../storage/db.js";
import { ServerKeyStore } from "../storage/server-keys.js";
import { KeyService } from "./keys.js";
import { startFederationListener } from "./listener.js";
import { createLeafCertificate, createTestCa } from "./tls.js";

const io: CommandIo = { out: () => {}, err: () => {} };
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "hearth-keys-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("generate-tls", () => {
  it("writes a certificate for the server name's host that node:https serves", async () => {
    const dir = await tempDir();
    expect(await runAdminCommand("generate-tls", ["--server-name", "127.0.0.1:8448", "--out", dir], io)).toBe(
      0,
    );
    const cert = await readFile(join(dir, "tls.crt"), "utf8");
    const key = await readFile(join(dir, "tls.key"), "utf8");
    const x = new X509Certificate(cert);
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(await runAdminCommand("generate-tls", ["--server-name", "127.0.0.1:8448", "--out", dir], io)).toBe(
      1,
    );

    const server = createServer({ cert, key }, (_q, r) => r.end("ok")).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: "127.0.0.1", port, ca: cert }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    server.close();
    expect(body).toBe("ok");
  });

  it("issues DNS names for host names", async () => {
    const dir = await tempDir();
    expect(await runAdminCommand("generate-tls", ["--server-name", "example.org", "--out", dir], io)).toBe(0);
    const x = new X509Certificate(await readFile(join(dir, "tls.crt"), "utf8"));
    expect(x.checkHost("example.org")).toBe("example.org");
  });
});

describe("rotate-keys", () => {
  it("keeps the old key as an old verify key that still verifies", async () => {
    const dir = await tempDir();
    const config = join(dir, "hearth.yaml");
    await writeFile(config, `data_dir: ${JSON.stringify(dir)}\nserver_name: example.org\n`);
    // A key version within [a-zA-Z0-9_]: generated versions may hold '-' (signing-key.ts uses base64url).
    const old = generateSigningKey("ed25519:a_old");
    await writeFile(join(dir, "signing.key"), formatSigningKey(old));
    expect(await runAdminCommand("rotate-keys", ["--config", config], io)).toBe(0);
    const current = await loadOrCreateSigningKey(dir);
    expect(current.keyId).not.toBe(old.keyId);

    const db = await Database.open(join(dir, "db"));
    try {
      const keys = new KeyService({
        serverName: "example.org",
        signingKey: current,
        db,
        store: new ServerKeyStore(db),
        logger: pino({ level: "silent" }),
        now: Date.now,
      });
      await keys.init();
      const verified = verifyServerKeys(keys.serverKeys(), "example.org", Date.now());
      expect(verified.verifyKeys.get(current.keyId)?.expiredTs).toBeUndefined();
      const retired = verified.verifyKeys.get(old.keyId);
      expect(retired?.publicKey).toEqual(old.publicKey);
      expect(retired?.expiredTs).toBeLessThanOrEqual(Date.now());
      expect(keys.lookupSync("example.org", old.keyId)?.expiredTs).toBe(retired?.expiredTs);
    } finally {
      await db.close();
    }
  });
});

describe("federation listener", () => {
  it("closes promptly with an idle keep-alive connection open", async () => {
    const dir = await tempDir();
    const ca = createTestCa();
    const leaf = createLeafCertificate(ca, ["127.0.0.1"]);
    await writeFile(join(dir, "c.pem"), leaf.cert);
    await writeFile(join(dir, "k.pem"), leaf.key);
    const app = new Hono().get("/", (c) => c.json({ ok: true }));
    const listener = await startFederationListener(
      {
        federation: {
          bind: { host: "127.0.0.1", port: 0 },
          tlsCert: join(dir, "c.pem"),
          tlsKey: join(dir, "k.pem"),
          verifyTls: true,
          caFile: undefined,
          allowPrivate: true,
        },
      },
      app,
    );
    const { Agent } = await import("node:https");
    const agent = new Agent({ keepAlive: true, ca: ca.cert });
    await new Promise<void>((resolve, reject) => {
      request({ host: "127.0.0.1", port: listener.port, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      })
        .on("error", reject)
        .end();
    });
    const started = Date.now();
    await listener.close();
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });
});

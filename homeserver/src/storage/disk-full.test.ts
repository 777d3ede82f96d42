// A real full disk (issue 8): LevelDB on a small tmpfs that the test fills. Needs root (mount); skipped,
// saying so, otherwise. The fault-injection tests in db.test.ts cover the same logic without root.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, registerUser, startTestServer, type TestServer } from "../testing/harness.js";

function canMount(): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return "not root on Linux";
  try {
    execFileSync("mount", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "no mount command";
  }
}

const why = canMount();
if (why) console.warn(`disk-full.test.ts skipped: ${why} (a tmpfs mount is needed to fill a disk)`);

describe.skipIf(why !== undefined)("a full disk", () => {
  let mountPoint: string;
  let server: TestServer;
  let alice: Client & { userId: string };
  let roomId: string;
  const filler = () => join(mountPoint, "filler");

  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), "hearth-tmpfs-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint]);
    server = await startTestServer({}, join(mountPoint, "data"));
    alice = await registerUser(server, "alice");
    roomId = (await alice.post("/_matrix/client/v3/createRoom", {})).body.room_id;
  });
  afterAll(async () => {
    await server?.close().catch(() => {});
    try {
      execFileSync("umount", [mountPoint]);
    } catch {}
    await rm(mountPoint, { recursive: true, force: true });
  });

  /** Fills the file system up to its last byte. */
  async function fill(): Promise<void> {
    try {
      await writeFile(filler(), Buffer.alloc(16 * 1024 * 1024));
    } catch (e) {
      expect((e as { code?: string }).code).toBe("ENOSPC");
    }
  }

  it("answers 503 while writes fail, /health says so, and everything works again once space is freed", async () => {
    expect((await alice.get("/health")).body).toEqual({ status: "ok" });
    await fill();
    const big = "x".repeat(40_000);
    const failed = await alice.put(`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/full1`, {
      msgtype: "m.text",
      body: big,
    });
    expect(failed.status).toBe(503);
    expect(failed.body.errcode).toBe("M_UNKNOWN");
    const health = await alice.get("/health");
    expect(health.status).toBe(503);
    expect(health.body.error).toMatch(/space/i);
    // Reads still work.
    expect((await alice.get(`/_matrix/client/v3/rooms/${roomId}/state`)).status).toBe(200);

    await unlink(filler());
    const deadline = Date.now() + 10_000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      status = (await alice.get("/health")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // The retry of the refused send gets the event it created, now durable, once.
    const retried = await alice.put(`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/full1`, {
      msgtype: "m.text",
      body: big,
    });
    expect(retried.status).toBe(200);
    const next = await alice.put(`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/full2`, {
      msgtype: "m.text",
      body: "after",
    });
    expect(next.status).toBe(200);
    const messages = await alice.get(`/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=5`);
    const bodies = (messages.body.chunk as Array<{ content: { body?: string } }>).map((e) => e.content.body);
    expect(bodies.slice(0, 2)).toEqual(["after", big]);
    // After a restart, what was written while the disk was failing is there.
    await server.close();
    server = await startTestServer({}, join(mountPoint, "data"));
    const after = await new Client(server.url, alice.accessToken).get(
      `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=5`,
    );
    expect((after.body.chunk as Array<{ event_id: string }>).map((e) => e.event_id)).toContain(
      retried.body.event_id,
    );
  });
});

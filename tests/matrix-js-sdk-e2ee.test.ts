/**
 * End-to-end encryption with a real client on one Hearth: two matrix-js-sdk 37.5.0 clients with
 * its Rust crypto share an encrypted room and each decrypts the other's message
 * (`support/e2ee.ts`). The federated variants are in `federation/e2ee.test.ts` (two Hearths) and
 * `interop/` (Hearth and Synapse).
 */
import type { MatrixClient } from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoClient, encryptedExchange, until } from "./support/e2ee.js";
import { register } from "./support/matrix.js";
import { type HearthProcess, ProcessGroup } from "./support/process.js";

describe("matrix-js-sdk 37.5.0 with end-to-end encryption", () => {
  const group = new ProcessGroup();
  const clients: MatrixClient[] = [];
  let hs: HearthProcess;

  beforeAll(async () => {
    hs = await group.start();
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await group.cleanup();
  });

  it("exchanges messages in an encrypted room that each side decrypts", async () => {
    const alice = await cryptoClient(await register(hs.url, "alice", "sdk password 1234"));
    const bob = await cryptoClient(await register(hs.url, "bob", "sdk password 1234"));
    clients.push(alice, bob);
    // Each client has uploaded its device keys.
    await until("alice's keys on the server", async () => {
      const res = await alice.downloadKeysForUsers([alice.getUserId()!]);
      return Object.keys(res.device_keys?.[alice.getUserId()!] ?? {}).includes(alice.getDeviceId()!);
    });
    const { events } = await encryptedExchange(alice, bob);
    // What the server holds is ciphertext.
    const raw = events.filter((e) => e.getWireType() === "m.room.encrypted");
    expect(raw.length).toBeGreaterThanOrEqual(2);
    for (const e of raw) expect(JSON.stringify(e.getWireContent())).not.toContain("eyes only");

    // Server-side key backup: the SDK creates a backup version and uploads the room keys it holds.
    const crypto = alice.getCrypto()!;
    await crypto.resetKeyBackup();
    await until(
      "alice's backup to be active",
      async () => (await crypto.getActiveSessionBackupVersion()) !== null,
    );
    await until("alice's room keys in the backup", async () => {
      const res = await fetch(`${hs.url}/_matrix/client/v3/room_keys/version`, {
        headers: { authorization: `Bearer ${alice.getAccessToken()}` },
      });
      return res.ok && ((await res.json()) as { count: number }).count > 0;
    });
  }, 120_000);
});

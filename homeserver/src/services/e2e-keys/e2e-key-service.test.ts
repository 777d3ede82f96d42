// Signatures of other servers' users' master keys (cross-signing verification across servers).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../storage/db.js";
import { E2eKeyStore } from "../../storage/e2e-keys.js";
import { E2eKeyService } from "./e2e-key-service.js";

const ALICE = "@alice:here";
const CAROL = "@carol:here";
const BOB = "@bob:there";
const bobMaster = { user_id: BOB, usage: ["master"], keys: { "ed25519:BOBMASTER": "BOBMASTER" } };

let dir: string;
let db: Database;
let service: E2eKeyService;
const told: Array<[string, readonly string[]]> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-e2e-keys-"));
  db = await Database.open(join(dir, "db"));
  service = new E2eKeyService({
    serverName: "here",
    db,
    store: new E2eKeyStore(db),
    devicesOf: async () => [],
    keysChanged: async () => {},
    othersSigned: async (signer, targets) => {
      told.push([signer, targets]);
    },
    // "there" answers with Bob's master key, as signed by Bob only.
    remote: async (server, path) => {
      expect([server, path]).toEqual(["there", "/_matrix/federation/v1/user/keys/query"]);
      return { device_keys: { [BOB]: {} }, master_keys: { [BOB]: bobMaster } };
    },
  });
  await service.start();
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("signatures of another server's user's master key", () => {
  it("are kept, shown to their signer only, and told to the signer only", async () => {
    const signed = { ...bobMaster, signatures: { [ALICE]: { "ed25519:ALICEUSER": "alice-verifies-bob" } } };
    expect(await service.uploadSignatures(ALICE, { [BOB]: { BOBMASTER: signed } })).toEqual({ failures: {} });
    expect(told).toEqual([[ALICE, [BOB]]]);
    const forAlice = await service.query(ALICE, { device_keys: { [BOB]: [] } });
    expect((forAlice.master_keys as Record<string, unknown>)[BOB]).toEqual({
      ...bobMaster,
      signatures: { [ALICE]: { "ed25519:ALICEUSER": "alice-verifies-bob" } },
    });
    const forCarol = await service.query(CAROL, { device_keys: { [BOB]: [] } });
    expect((forCarol.master_keys as Record<string, unknown>)[BOB]).toEqual(bobMaster);
  });

  it("are refused for anything but the user's master key", async () => {
    const device = { user_id: BOB, device_id: "PHONE", keys: { "ed25519:PHONE": "x" } };
    const res = await service.uploadSignatures(ALICE, {
      [BOB]: {
        PHONE: { ...device, signatures: { [ALICE]: { "ed25519:ALICEUSER": "s" } } },
        OTHER: { ...bobMaster, signatures: { [ALICE]: { "ed25519:ALICEUSER": "s" } } },
      },
    });
    expect(Object.keys(res.failures[BOB] ?? {}).sort()).toEqual(["OTHER", "PHONE"]);
    expect((res.failures[BOB] as Record<string, { errcode: string }>).PHONE!.errcode).toBe("M_FORBIDDEN");
  });
});

/**
 * End-to-end encryption with a real client: two matrix-js-sdk 37.5.0 clients with its Rust crypto
 * (`initRustCrypto`, in memory) against a Hearth process. Alice creates an encrypted room and invites
 * Bob; each sends a message the other must decrypt. This needs every part of the key management
 * API working together: device keys uploaded and queried, one-time keys claimed, Olm-encrypted room
 * keys delivered as to-device messages, device list changes and one-time key counts in `/sync`.
 */
import {
  createClient,
  type MatrixClient,
  type MatrixEvent,
  MemoryStore,
  Preset,
  SyncState,
} from "matrix-js-sdk";
import { type Logger, logger as sdkGlobalLogger } from "matrix-js-sdk/lib/logger.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "./support/matrix.js";
import { type HearthProcess, ProcessGroup } from "./support/process.js";

const PASSWORD = "sdk password 1234";
const WAIT_MS = 20_000;

const silent: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => silent,
};
(sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel("silent");

/** Polls `check` until it holds (the SDK's crypto works in the background), or fails naming `what`. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The decrypted bodies of a room's encrypted messages, as a client shows them. */
function clearBodies(client: MatrixClient, roomId: string): string[] {
  return (client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [])
    .filter((e: MatrixEvent) => e.getWireType() === "m.room.encrypted" && !e.isDecryptionFailure())
    .map((e) => e.getClearContent()?.body)
    .filter((b): b is string => typeof b === "string");
}

describe("matrix-js-sdk 37.5.0 with end-to-end encryption", () => {
  const group = new ProcessGroup();
  const clients: MatrixClient[] = [];
  let hs: HearthProcess;

  async function start(localpart: string): Promise<MatrixClient> {
    const user = await register(hs.url, localpart, PASSWORD);
    const c = createClient({
      baseUrl: hs.url,
      userId: user.userId,
      deviceId: user.deviceId,
      accessToken: user.accessToken!,
      store: new MemoryStore(),
      logger: silent,
    });
    clients.push(c);
    await c.initRustCrypto({ useIndexedDB: false });
    await c.startClient({ initialSyncLimit: 20 });
    await until(`${localpart}'s first sync`, () =>
      [SyncState.Prepared, SyncState.Syncing].includes(c.getSyncState() as SyncState),
    );
    return c;
  }

  beforeAll(async () => {
    hs = await group.start();
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await group.cleanup();
  });

  it("exchanges messages in an encrypted room that each side decrypts", async () => {
    const alice = await start("alice");
    const bob = await start("bob");
    const bobId = bob.getUserId()!;
    // Each client has uploaded its device keys and one-time keys.
    await until("alice's keys on the server", async () => {
      const res = await alice.downloadKeysForUsers([alice.getUserId()!]);
      return Object.keys(res.device_keys?.[alice.getUserId()!] ?? {}).includes(alice.getDeviceId()!);
    });

    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      invite: [bobId],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    await until("bob's invite", () => bob.getRoom(roomId)?.getMyMembership() === "invite");
    await bob.joinRoom(roomId);
    await until(
      "alice to see bob join",
      () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join",
    );
    await until("bob's room to be encrypted", () => bob.getCrypto()!.isEncryptionEnabledInRoom(roomId));

    await alice.sendTextMessage(roomId, "for bob's eyes only");
    await until("bob to decrypt alice's message", () =>
      clearBodies(bob, roomId).includes("for bob's eyes only"),
    );
    await bob.sendTextMessage(roomId, "and for alice's");
    await until("alice to decrypt bob's message", () =>
      clearBodies(alice, roomId).includes("and for alice's"),
    );

    // What the server stored is ciphertext.
    const raw = alice
      .getRoom(roomId)!
      .getLiveTimeline()
      .getEvents()
      .filter((e) => e.getWireType() === "m.room.encrypted");
    expect(raw.length).toBeGreaterThanOrEqual(2);
    for (const e of raw) expect(JSON.stringify(e.getWireContent())).not.toContain("eyes only");
  }, 120_000);
});

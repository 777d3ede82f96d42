/**
 * End-to-end encryption with real clients: matrix-js-sdk 37.5.0 with its Rust crypto
 * (`initRustCrypto`, in memory) for users who may be on different servers. {@link encryptedExchange}
 * has Alice create an encrypted room and invite Bob; each sends a message the other must decrypt.
 * It needs the key management API working together on every server involved: device keys
 * uploaded and queried, one-time keys claimed, Olm-encrypted room keys delivered as to-device
 * messages, device list changes and one-time key counts in `/sync`.
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
import type { UserClient } from "./matrix.js";

const WAIT_MS = 30_000;

/** A logger that says nothing (the SDK is chatty), for `createClient`'s `logger`. */
export const silent: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => silent,
};
(sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel("silent");

/** Polls `check` until it holds (the SDK's crypto works in the background), or fails naming `what`. */
export async function until(
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
export function clearBodies(client: MatrixClient, roomId: string): string[] {
  return (client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [])
    .filter((e: MatrixEvent) => e.getWireType() === "m.room.encrypted" && !e.isDecryptionFailure())
    .map((e) => e.getClearContent()?.body)
    .filter((b): b is string => typeof b === "string");
}

/** A started matrix-js-sdk client with Rust crypto for a registered user; stop it with `stopClient()`. */
export async function cryptoClient(user: UserClient): Promise<MatrixClient> {
  const c = createClient({
    baseUrl: user.baseUrl,
    userId: user.userId,
    deviceId: user.deviceId,
    accessToken: user.accessToken!,
    store: new MemoryStore(),
    logger: silent,
  });
  await c.initRustCrypto({ useIndexedDB: false });
  await c.startClient({ initialSyncLimit: 20 });
  await until(`${user.userId}'s first sync`, () =>
    [SyncState.Prepared, SyncState.Syncing].includes(c.getSyncState() as SyncState),
  );
  return c;
}

/**
 * Alice creates an encrypted room (`roomVersion` if given) and invites Bob, who joins; each sends a
 * message the other decrypts. Returns the room's ID and the events Alice's client holds.
 */
export async function encryptedExchange(
  alice: MatrixClient,
  bob: MatrixClient,
  roomVersion?: string,
): Promise<{ roomId: string; events: MatrixEvent[] }> {
  const bobId = bob.getUserId()!;
  const { room_id: roomId } = await alice.createRoom({
    preset: Preset.PrivateChat,
    invite: [bobId],
    ...(roomVersion ? { room_version: roomVersion } : {}),
    initial_state: [
      { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
    ],
  });
  await until("bob's invite", () => bob.getRoom(roomId)?.getMyMembership() === "invite");
  await bob.joinRoom(roomId);
  await until("alice to see bob join", () => alice.getRoom(roomId)?.getMember(bobId)?.membership === "join");
  await until("bob's room to be encrypted", () => bob.getCrypto()!.isEncryptionEnabledInRoom(roomId));
  await alice.sendTextMessage(roomId, "for bob's eyes only");
  await until("bob to decrypt alice's message", () =>
    clearBodies(bob, roomId).includes("for bob's eyes only"),
  );
  await bob.sendTextMessage(roomId, "and for alice's");
  await until("alice to decrypt bob's message", () => clearBodies(alice, roomId).includes("and for alice's"));
  return { roomId, events: alice.getRoom(roomId)!.getLiveTimeline().getEvents() };
}

/**
 * Send-to-device messaging (Client-Server API, "Send-to-Device messaging"; Server-Server API,
 * "Send-to-device messaging"): messages addressed to devices (or `*`, every device of a user), kept in
 * each device's inbox until a sync acknowledges them; those for other servers' users travel as
 * `m.direct_to_device` EDUs.
 */
import { MatrixError } from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { ToDeviceStore } from "../../storage/to-device.js";
import type { Notifier } from "../notifier.js";

/** `{userId: {deviceId | "*": content}}`. */
export type DeviceMessages = Record<string, Record<string, Record<string, unknown>>>;

/** What the service needs. */
export interface ToDeviceDeps {
  readonly serverName: string;
  readonly db: Database;
  readonly store: ToDeviceStore;
  /** Persisted counters (the to-device stream position). */
  readonly counters: Pick<RoomStore, "counter" | "counterOps">;
  readonly notifier: Notifier;
  /** The device IDs of a local user. */
  readonly devicesOf: (userId: string) => Promise<string[]>;
  /** Sends messages for another server's users (an `m.direct_to_device` EDU). */
  readonly sendRemote?: (
    server: string,
    edu: { sender: string; type: string; message_id: string; messages: DeviceMessages },
  ) => void;
}

const COUNTER = "to_device";

/** To-device messages. */
export class ToDeviceService {
  #position = 0;
  readonly #inFlight = new Set<number>();

  constructor(private readonly deps: ToDeviceDeps) {}

  /** Loads the stream position. */
  async start(): Promise<void> {
    this.#position = await this.deps.counters.counter(COUNTER);
    this.deps.notifier.setPosition("to_device", this.#position);
  }

  /** The position below which every message is written (syncs read up to here). */
  get position(): number {
    return this.#inFlight.size === 0 ? this.#position : Math.min(...this.#inFlight) - 1;
  }

  #isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.deps.serverName}`);
  }

  /**
   * `PUT /sendToDevice/{eventType}/{txnId}`: delivers to local devices, forwards the rest. A retry of
   * the same transaction from the same device is not delivered again.
   */
  async send(
    sender: string,
    senderDevice: string,
    type: string,
    txnId: string,
    messages: DeviceMessages,
  ): Promise<void> {
    const txn = [sender, senderDevice, txnId];
    if (await this.deps.store.seenTransaction(txn)) return;
    const remote = new Map<string, DeviceMessages>();
    const local: DeviceMessages = {};
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (typeof byDevice !== "object" || byDevice === null)
        throw new MatrixError("M_BAD_JSON", "messages must map users to devices");
      if (this.#isLocal(userId)) local[userId] = byDevice;
      else {
        const server = userId.slice(userId.indexOf(":") + 1);
        const forServer = remote.get(server) ?? {};
        forServer[userId] = byDevice;
        remote.set(server, forServer);
      }
    }
    await this.deliver(sender, type, local, this.deps.store.transactionOps(txn));
    for (const [server, msgs] of remote) {
      this.deps.sendRemote?.(server, {
        sender,
        type,
        message_id: `${senderDevice}-${txnId}`,
        messages: msgs,
      });
    }
  }

  /** Delivers messages to local users' devices (`*`: all of a user's devices). */
  async deliver(
    sender: string,
    type: string,
    messages: DeviceMessages,
    extraOps: ReturnType<ToDeviceStore["transactionOps"]> = [],
  ): Promise<void> {
    const targets: Array<[string, string, Record<string, unknown>]> = [];
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!this.#isLocal(userId)) continue;
      for (const [deviceId, content] of Object.entries(byDevice)) {
        if (typeof content !== "object" || content === null) continue;
        const devices = deviceId === "*" ? await this.deps.devicesOf(userId) : [deviceId];
        for (const d of devices) targets.push([userId, d, content]);
      }
    }
    if (targets.length === 0 && extraOps.length === 0) return;
    const stream = ++this.#position;
    this.#inFlight.add(stream);
    try {
      const ops = targets.flatMap(([u, d, content]) =>
        this.deps.store.deliverOps(u, d, { sender, type, content, stream }),
      );
      await this.deps.db.write([...ops, ...extraOps, ...this.deps.counters.counterOps(COUNTER, stream)]);
    } finally {
      this.#inFlight.delete(stream);
    }
    this.deps.notifier.notify({
      stream: "to_device",
      position: stream,
      users: [...new Set(targets.map(([u]) => u))],
    });
  }

  /** Applies an `m.direct_to_device` EDU from `origin` (its own users only; each message once). */
  async receive(origin: string, content: Record<string, unknown>): Promise<void> {
    const { sender, type, message_id: messageId, messages } = content;
    if (typeof sender !== "string" || !sender.endsWith(`:${origin}`) || typeof type !== "string") return;
    if (typeof messages !== "object" || messages === null) return;
    const txn = [sender, "\u0000federation", typeof messageId === "string" ? messageId : ""];
    if (typeof messageId === "string" && (await this.deps.store.seenTransaction(txn))) return;
    await this.deliver(
      sender,
      type,
      messages as DeviceMessages,
      typeof messageId === "string" ? this.deps.store.transactionOps(txn) : [],
    );
  }

  /**
   * The messages of a device for a sync from `since` up to `upTo`. Messages up to `acknowledged`
   * (default `since`: the previous sync's token, which the client presented) were seen and are deleted
   * now ("the server should delete them once acknowledged").
   */
  async forSync(
    userId: string,
    deviceId: string,
    since: number | undefined,
    upTo: number,
    acknowledged: number | undefined = since,
  ) {
    if (acknowledged !== undefined && acknowledged > 0) {
      const ops = await this.deps.store.acknowledgeOps(userId, deviceId, acknowledged);
      if (ops.length > 0) await this.deps.db.write(ops);
    }
    const messages = await this.deps.store.inbox(userId, deviceId, since ?? 0, upTo);
    return messages.map((m) => ({ sender: m.sender, type: m.type, content: m.content }));
  }
}

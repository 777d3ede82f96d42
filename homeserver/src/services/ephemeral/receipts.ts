/**
 * Receipts (Receipts module): `m.read` and `m.read.private`, threaded or not. Private receipts are
 * only ever shown to their owner ("Private read receipts"). Delivered in sync as the ephemeral
 * `m.receipt` event of each room.
 */
import { isValidEventId, MatrixError } from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import type { EventStore } from "../../storage/events.js";
import type { Receipt, ReceiptStore } from "../../storage/receipts.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";

/** Receipt types clients may send under `m.receipt`. */
export const RECEIPT_TYPES = ["m.read", "m.read.private"] as const;

/** An `m.receipt` ephemeral event. */
export interface ReceiptEvent {
  type: "m.receipt";
  content: Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>>;
}

/** What the receipt service needs. */
export interface ReceiptServiceDeps {
  readonly db: Database;
  readonly store: ReceiptStore;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly notifier: Notifier;
  readonly now: () => number;
  /** Called after a receipt is stored (the federation sender sends `m.receipt` EDUs for public ones). */
  readonly onReceipt?: (receipt: Receipt) => void;
}

/** Sends and reads receipts. */
export class ReceiptService {
  #position = 0;
  #opened: Promise<void> | undefined;

  constructor(private readonly deps: ReceiptServiceDeps) {}

  async #open(): Promise<void> {
    this.#opened ??= (async () => {
      this.#position = await this.deps.store.lastPosition();
      if (this.#position > this.deps.notifier.position("receipts")) {
        this.deps.notifier.setPosition("receipts", this.#position);
      }
    })();
    await this.#opened;
  }

  /** Loads the stream position (call once at start-up). */
  async start(): Promise<void> {
    await this.#open();
  }

  /** `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}` for `m.read` and `m.read.private`. */
  async send(
    userId: string,
    roomId: string,
    type: string,
    eventId: string,
    threadId?: string,
  ): Promise<void> {
    await this.#open();
    if (!(RECEIPT_TYPES as readonly string[]).includes(type)) {
      throw new MatrixError("M_INVALID_PARAM", `Unknown receipt type ${type}`);
    }
    if (threadId !== undefined && threadId === "") {
      throw new MatrixError("M_INVALID_PARAM", "thread_id field must be a non-empty string");
    }
    if (!isValidEventId(eventId)) throw new MatrixError("M_INVALID_PARAM", "Invalid event ID");
    if ((await this.deps.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    }
    const ev = await this.deps.events.get(eventId);
    if (!ev || ev.roomId !== roomId) throw new MatrixError("M_NOT_FOUND", "Unknown event in this room");
    const thread = threadId ?? "";
    // A receipt never moves backwards in the room's order.
    const previous = await this.deps.store.get(roomId, type, userId, thread);
    if (previous) {
      const prevEvent = await this.deps.events.get(previous.eventId);
      if (prevEvent && prevEvent.stream >= ev.stream) return;
    }
    const stream = ++this.#position;
    const receipt: Receipt = { roomId, type, userId, threadId: thread, eventId, ts: this.deps.now(), stream };
    await this.deps.db.write(this.deps.store.putOps(receipt));
    this.deps.notifier.notify({ stream: "receipts", position: stream, rooms: [roomId] });
    this.deps.onReceipt?.(receipt);
  }

  /**
   * The stream position of the latest event a user has read in a room: the furthest of their `m.read`
   * and `m.read.private` receipts, unthreaded or on the main timeline ("Receiving notifications").
   */
  async readUpTo(roomId: string, userId: string): Promise<number | undefined> {
    return this.readUpToIn(roomId, userId, "main");
  }

  /**
   * The same for one thread (`main`, or a thread root's event ID): the furthest of the user's
   * unthreaded receipts and their receipts in that thread ("Threaded read receipts").
   */
  async readUpToIn(roomId: string, userId: string, threadId: string): Promise<number | undefined> {
    let furthest: number | undefined;
    for (const type of RECEIPT_TYPES) {
      for (const thread of ["", threadId]) {
        const r = await this.deps.store.get(roomId, type, userId, thread);
        const ev = r && (await this.deps.events.get(r.eventId));
        if (ev && (furthest === undefined || ev.stream > furthest)) furthest = ev.stream;
      }
    }
    return furthest;
  }

  /** The `m.receipt` event of a room as `viewer` sees it: all current receipts (initial sync). */
  async roomReceipts(roomId: string, viewer: string): Promise<ReceiptEvent | undefined> {
    return toEvent(await this.deps.store.inRoom(roomId), viewer);
  }

  /** `m.receipt` events per room for receipts in (after, upTo], for `viewer`, in `rooms`. */
  async changes(
    after: number,
    upTo: number,
    rooms: ReadonlySet<string>,
    viewer: string,
  ): Promise<Map<string, ReceiptEvent>> {
    const byRoom = new Map<string, Receipt[]>();
    if (after >= upTo) return new Map();
    for (const r of await this.deps.store.since(after, upTo)) {
      if (!rooms.has(r.roomId)) continue;
      const list = byRoom.get(r.roomId) ?? [];
      list.push(r);
      byRoom.set(r.roomId, list);
    }
    const out = new Map<string, ReceiptEvent>();
    for (const [roomId, list] of byRoom) {
      const ev = toEvent(list, viewer);
      if (ev) out.set(roomId, ev);
    }
    return out;
  }
}

function toEvent(receipts: readonly Receipt[], viewer: string): ReceiptEvent | undefined {
  const content: ReceiptEvent["content"] = {};
  for (const r of receipts) {
    if (r.type === "m.read.private" && r.userId !== viewer) continue;
    const byType = content[r.eventId] ?? {};
    const byUser = byType[r.type] ?? {};
    byUser[r.userId] = r.threadId ? { ts: r.ts, thread_id: r.threadId } : { ts: r.ts };
    byType[r.type] = byUser;
    content[r.eventId] = byType;
  }
  return Object.keys(content).length > 0 ? { type: "m.receipt", content } : undefined;
}

/**
 * Typing notifications (Typing Notifications module): kept in memory with timeouts, delivered in sync
 * as the ephemeral `m.typing` event of each room whenever the set of typing users changes.
 */
import { MatrixError } from "@hearth/federation";
import type { RoomStore } from "../../storage/rooms.js";
import type { Notifier } from "../notifier.js";

/** Longest typing timeout honoured, in ms. */
const MAX_TIMEOUT_MS = 120_000;

/** Who is typing where. */
export class TypingService {
  readonly #rooms = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  /** Per room, the stream position of its last change. */
  readonly #changed = new Map<string, number>();
  /**
   * Typing is not persisted; positions start from the clock at start-up, so they keep increasing
   * across restarts and a sync token from before a restart never looks like one from the future.
   */
  #position: number;

  constructor(
    private readonly rooms: RoomStore,
    private readonly notifier: Notifier,
    now: () => number = Date.now,
    /** Called when a user starts or stops typing (the federation sender sends `m.typing` EDUs). */
    private readonly onChange: (roomId: string, userId: string, typing: boolean) => void = () => {},
  ) {
    this.#position = now();
    notifier.setPosition("typing", this.#position);
  }

  /** `PUT /rooms/{roomId}/typing/{userId}`. */
  async setTyping(userId: string, roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    if ((await this.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    }
    const users = this.#rooms.get(roomId) ?? new Map<string, ReturnType<typeof setTimeout>>();
    this.#rooms.set(roomId, users);
    const existing = users.get(userId);
    if (existing) clearTimeout(existing);
    if (typing) {
      const timer = setTimeout(
        () => this.#stop(roomId, userId),
        Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS),
      );
      timer.unref();
      users.set(userId, timer);
      if (!existing) this.#bump(roomId);
      this.onChange(roomId, userId, true);
    } else if (existing) {
      users.delete(userId);
      this.#bump(roomId);
      this.onChange(roomId, userId, false);
    }
  }

  #stop(roomId: string, userId: string): void {
    const users = this.#rooms.get(roomId);
    if (users?.delete(userId)) this.#bump(roomId);
  }

  #bump(roomId: string): void {
    const position = ++this.#position;
    this.#changed.set(roomId, position);
    this.notifier.notify({ stream: "typing", position, rooms: [roomId] });
  }

  /** The typing stream position. */
  get position(): number {
    return this.#position;
  }

  /**
   * The `m.typing` event of a room if it changed in (after, upTo]; with `after` undefined (an initial
   * sync), the current typing users if any.
   */
  typingEvent(
    roomId: string,
    after: number | undefined,
    upTo: number,
  ): { type: "m.typing"; content: { user_ids: string[] } } | undefined {
    const users = [...(this.#rooms.get(roomId)?.keys() ?? [])];
    if (after === undefined)
      return users.length > 0 ? { type: "m.typing", content: { user_ids: users } } : undefined;
    const changed = this.#changed.get(roomId);
    if (changed === undefined || changed <= after || changed > upTo) return undefined;
    return { type: "m.typing", content: { user_ids: users } };
  }

  /** Clears every timer (shutdown). */
  stop(): void {
    for (const users of this.#rooms.values()) for (const t of users.values()) clearTimeout(t);
    this.#rooms.clear();
  }
}

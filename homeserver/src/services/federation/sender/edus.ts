/**
 * Builders for the EDUs the sender carries (server-server API, "EDUs", "Typing Notifications",
 * "Receipts", "Presence"). Each returns the `{edu_type, content}` object put in a transaction's
 * `edus` array.
 */

/** An Ephemeral Data Unit (`definitions/edu.yaml`). Types stay open. */
export interface Edu {
  readonly edu_type: string;
  readonly content: Record<string, unknown>;
}

/** `m.typing`: one user's typing state in one room. */
export function typingEdu(roomId: string, userId: string, typing: boolean): Edu {
  return { edu_type: "m.typing", content: { room_id: roomId, user_id: userId, typing } };
}

/** Metadata of a read receipt. */
export interface ReceiptData {
  /** When the user read the event (ms since epoch). */
  readonly ts: number;
  /** The thread root's event ID or `main`; absent for an unthreaded receipt. */
  readonly thread_id?: string;
}

/**
 * `m.receipt` for one user's public read receipt (`m.read`) in one room. Private receipts
 * (`m.read.private`) are never federated: the spec's EDU carries only `m.read`, so callers must not
 * pass them here.
 */
export function receiptEdu(roomId: string, userId: string, eventId: string, data: ReceiptData): Edu {
  const receiptData: Record<string, unknown> = { ts: data.ts };
  if (data.thread_id !== undefined) receiptData.thread_id = data.thread_id;
  return {
    edu_type: "m.receipt",
    content: { [roomId]: { "m.read": { [userId]: { event_ids: [eventId], data: receiptData } } } },
  };
}

/** One user's presence in an `m.presence` EDU. */
export interface PresenceUpdate {
  readonly user_id: string;
  readonly presence: "online" | "offline" | "unavailable";
  /** Milliseconds since the user's last activity. */
  readonly last_active_ago: number;
  readonly currently_active?: boolean;
  readonly status_msg?: string;
}

/** `m.presence`: presence updates of our users (the hook for when presence is tracked). */
export function presenceEdu(updates: readonly PresenceUpdate[]): Edu {
  return { edu_type: "m.presence", content: { push: updates.map((u) => ({ ...u })) } };
}

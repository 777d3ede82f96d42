/**
 * Other users as the client learns about them from presence ("Presence": `m.presence` events).
 */

/** A user's presence state. */
export type PresenceState = "online" | "offline" | "unavailable" | (string & {});

/** What the client knows of a user's presence. */
export interface UserPresence {
  readonly userId: string;
  readonly presence: PresenceState;
  /** Milliseconds since the user was last active, when the server said (at `receivedAt`). */
  readonly lastActiveAgo: number | undefined;
  readonly currentlyActive: boolean | undefined;
  readonly statusMsg: string | undefined;
  readonly displayName: string | undefined;
  readonly avatarUrl: string | undefined;
  /** When this client received it (`Date.now()`). */
  readonly receivedAt: number;
}

/** Reads an `m.presence` event's content. */
export function presenceFromEvent(
  userId: string,
  content: Record<string, unknown>,
  receivedAt: number,
): UserPresence {
  const s = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    userId,
    presence: s(content.presence) ?? "offline",
    lastActiveAgo: typeof content.last_active_ago === "number" ? content.last_active_ago : undefined,
    currentlyActive: typeof content.currently_active === "boolean" ? content.currently_active : undefined,
    statusMsg: s(content.status_msg),
    displayName: s(content.displayname),
    avatarUrl: s(content.avatar_url),
    receivedAt,
  };
}

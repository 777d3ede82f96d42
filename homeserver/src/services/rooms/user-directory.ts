/**
 * The user directory (Client-Server API, "User directory"): `POST /user_directory/search` finds users
 * by user ID or display name among those the requester may discover: users who share a room with
 * them and users joined to public rooms (as Synapse's default, `search_all_users: false`). Display
 * names and avatars are the ones of the users' member events. Every call scans those rooms' members;
 * there is no search index yet.
 */
import type { EventStore } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import { currentStateEvent } from "./current-state.js";

/** One result. */
export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/** Most rooms looked at per search (public rooms beyond the requester's own). */
const MAX_ROOMS = 2_000;

/** Searches users. */
export class UserDirectory {
  constructor(private readonly deps: { readonly rooms: RoomStore; readonly events: EventStore }) {}

  /** Users matching `term` (every word a prefix of a word of the user ID or display name). */
  async search(
    requester: string,
    term: string,
    limit: number,
  ): Promise<{ results: DirectoryUser[]; limited: boolean }> {
    const words = term.toLowerCase().split(/\s+/).filter(Boolean);
    const { rooms } = this.deps;
    const roomIds = new Set<string>();
    for (const [roomId, m] of await rooms.roomsOfUser(requester))
      if (m.membership === "join") roomIds.add(roomId);
    for (const roomId of await rooms.allRoomIds()) {
      if (roomIds.size >= MAX_ROOMS) break;
      if (roomIds.has(roomId)) continue;
      const rules = await currentStateEvent(this.deps, roomId, "m.room.join_rules");
      if ((rules?.pdu.content as { join_rule?: unknown } | undefined)?.join_rule === "public")
        roomIds.add(roomId);
    }
    const found = new Map<string, DirectoryUser>();
    for (const roomId of roomIds) {
      for (const [userId, m] of await rooms.membersOfRoom(roomId)) {
        if (m.membership !== "join" || found.has(userId)) continue;
        const ev = await this.deps.events.get(m.eventId);
        const content = (ev?.pdu.content ?? {}) as { displayname?: unknown; avatar_url?: unknown };
        const name = typeof content.displayname === "string" ? content.displayname : undefined;
        if (!matches(words, userId, name)) continue;
        found.set(userId, {
          user_id: userId,
          ...(name ? { display_name: name } : {}),
          ...(typeof content.avatar_url === "string" ? { avatar_url: content.avatar_url } : {}),
        });
      }
    }
    // Users sharing a room first would need another pass; order by name, then ID, for a stable page.
    const all = [...found.values()].sort(
      (a, b) =>
        (a.display_name ?? a.user_id).localeCompare(b.display_name ?? b.user_id) ||
        a.user_id.localeCompare(b.user_id),
    );
    return { results: all.slice(0, limit), limited: all.length > limit };
  }
}

/** Whether every search word is a prefix of a word of the user ID or the display name. */
function matches(words: readonly string[], userId: string, name: string | undefined): boolean {
  const haystack = `${userId} ${name ?? ""}`
    .toLowerCase()
    .split(/[\s@:._\-=/]+/)
    .filter(Boolean);
  return words.every((w) => haystack.some((h) => h.startsWith(w)) || userId.toLowerCase().includes(w));
}

/** Reading one event of a room's current state. */
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";

/** The event at (`type`, `stateKey`) of a room's current state, if any. */
export async function currentStateEvent(
  stores: { readonly rooms: RoomStore; readonly events: EventStore },
  roomId: string,
  type: string,
  stateKey = "",
): Promise<StoredEvent | undefined> {
  const id = await stores.rooms.currentStateEventId(roomId, type, stateKey);
  return id ? stores.events.get(id) : undefined;
}

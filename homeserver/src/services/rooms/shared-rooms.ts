/** Whether two users share a room (presence and device lists are shown only to co-members). */
import type { RoomStore } from "../../storage/rooms.js";

/** Whether `a` and `b` are the same user or are both joined to some room. */
export async function shareJoinedRoom(
  rooms: Pick<RoomStore, "roomsOfUser">,
  a: string,
  b: string,
): Promise<boolean> {
  if (a === b) return true;
  const ofA = await rooms.roomsOfUser(a);
  const ofB = await rooms.roomsOfUser(b);
  for (const [roomId, m] of ofA)
    if (m.membership === "join" && ofB.get(roomId)?.membership === "join") return true;
  return false;
}

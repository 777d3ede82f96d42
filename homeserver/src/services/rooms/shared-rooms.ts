/** Who shares a room with whom (presence and device lists are shown only to co-members). */
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

/**
 * Everyone joined to a room `userId` is joined to, and the user: one scan per room of the user,
 * for filtering many users at once (a sync's presence and device-list changes).
 */
export async function coMembers(
  rooms: Pick<RoomStore, "roomsOfUser" | "membersOfRoom">,
  userId: string,
): Promise<Set<string>> {
  const out = new Set([userId]);
  for (const [roomId, m] of await rooms.roomsOfUser(userId)) {
    if (m.membership !== "join") continue;
    for (const [member, mm] of await rooms.membersOfRoom(roomId))
      if (mm.membership === "join") out.add(member);
  }
  return out;
}

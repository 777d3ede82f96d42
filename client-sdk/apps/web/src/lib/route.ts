/** The open room, in the URL's fragment (`#/room/!id:server`), so reloads and links keep it. */
import { useEffect, useState } from "preact/hooks";

/** The room ID in the fragment, if any. */
export function currentRoomId(): string | undefined {
  const m = /^#\/room\/(.+)$/.exec(location.hash);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/** The fragment that opens `roomId`. */
export function roomHref(roomId: string): string {
  return `#/room/${encodeURIComponent(roomId)}`;
}

/** Opens `roomId` (or the welcome view). */
export function openRoom(roomId: string | undefined): void {
  location.hash = roomId ? roomHref(roomId) : "#/";
}

/** The open room, following the fragment. */
export function useRoute(): string | undefined {
  const [roomId, setRoomId] = useState(currentRoomId());
  useEffect(() => {
    const onChange = () => setRoomId(currentRoomId());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return roomId;
}

/**
 * Browser notifications for mentions and direct messages while the tab is hidden, and the unread
 * count in the page title.
 */
import type { ClientEvent, MatrixClient, Room } from "@hearth/client-sdk";
import { roomHref } from "./route.js";
import { settings } from "./settings.js";

/** Whether `event` mentions the user (`m.mentions`, else their user ID or name in the body). */
export function mentions(event: ClientEvent, userId: string, displayName: string | undefined): boolean {
  const m = event.content["m.mentions"] as { user_ids?: unknown } | undefined;
  if (m && Array.isArray(m.user_ids)) return m.user_ids.includes(userId);
  const body = typeof event.content.body === "string" ? event.content.body.toLowerCase() : "";
  if (body.includes(userId.toLowerCase())) return true;
  const localpart = userId.slice(1).split(":")[0]!.toLowerCase();
  const name = displayName?.toLowerCase();
  const word = (w: string) =>
    new RegExp(`(^|\\W)${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|\\W)`).test(body);
  return word(localpart) || (name !== undefined && name.length > 1 && word(name));
}

/** Notifies, when the settings and the permission allow and the tab is hidden. */
function notifyEvent(client: MatrixClient, event: ClientEvent, room: Room): void {
  if (!settings().notifications || typeof Notification === "undefined") return;
  if (Notification.permission !== "granted" || !document.hidden) return;
  const me = client.userId;
  if (!me || event.sender === me || event.type !== "m.room.message") return;
  // Only what is new: not a backlog delivered after being offline for long.
  if (Date.now() - event.origin_server_ts > 5 * 60_000) return;
  if (!room.isDirect && !mentions(event, me, room.member(me)?.displayName)) return;
  const sender = room.memberName(event.sender);
  const body = typeof event.content.body === "string" ? event.content.body : "sent something";
  const n = new Notification(room.isDirect ? sender : `${sender} in ${room.name}`, {
    body: body.slice(0, 200),
    tag: room.roomId,
  });
  n.onclick = () => {
    window.focus();
    location.hash = roomHref(room.roomId);
    n.close();
  };
}

/** Starts notifying for `client`; returns the function that stops it. */
export function startNotifications(client: MatrixClient): () => void {
  return client.on("timeline", (event, roomId) => {
    const room = client.room(roomId);
    if (room && room.membership === "join") notifyEvent(client, event, room);
  });
}

/** Asks for the permission to notify; resolves with whether it was granted. */
export async function askPermission(): Promise<boolean> {
  if (typeof Notification === "undefined") return false;
  if (Notification.permission === "granted") return true;
  return (await Notification.requestPermission()) === "granted";
}

/** "(3) Hearth" while 3 notifications are unread. */
export function updateTitle(client: MatrixClient): void {
  const unread = client
    .roomList()
    .reduce((n, r) => n + (r.membership === "invite" ? 1 : r.unread.notificationCount), 0);
  document.title = unread > 0 ? `(${unread}) Hearth` : "Hearth";
}

/**
 * The room list: a `navigation` landmark named "Rooms" with invites (to accept or decline), direct
 * chats (with the other user's presence) and rooms, the most recently active first. Each room is a
 * link named by the room's name; its last message and unread count describe it.
 */
import type { MatrixClient, Room, TimelineEvent } from "@hearth/client-sdk";
import { useState } from "preact/hooks";
import { openRoom, roomHref } from "../lib/route.js";
import { Avatar, PresenceDot } from "./avatar.js";

/** A one-line preview of the room's last message. */
export function preview(client: MatrixClient, room: Room, event: TimelineEvent | undefined): string {
  if (!event) return "";
  const who = event.sender === client.userId ? "You" : room.memberName(event.sender);
  const content = event.content;
  const body = typeof content.body === "string" ? content.body : "";
  let what: string;
  if (event.redacted) what = "Message deleted";
  else if (event.type === "m.room.encrypted") what = "Encrypted message";
  else if (content.msgtype === "m.image" || event.type === "m.sticker") what = "sent an image";
  else if (content.msgtype === "m.file") what = `sent a file: ${body}`;
  else if (content.msgtype === "m.emote") return `* ${who} ${body}`;
  else what = body.split("\n").find((l) => !l.startsWith("> ") && l !== "") ?? body;
  return room.isDirect && who !== "You" ? what : `${who}: ${what}`;
}

function RoomEntry(props: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly selected: boolean;
  readonly index: string;
}) {
  const { client, room, selected, index } = props;
  const unread = room.unread.notificationCount;
  const highlight = room.unread.highlightCount > 0;
  const other = room.directUserId;
  const descId = `room-desc-${index}`;
  const last = preview(client, room, room.lastMessage);
  return (
    <li class={`room-entry${selected ? " selected" : ""}${unread > 0 ? " unread" : ""}`}>
      <a
        href={roomHref(room.roomId)}
        aria-label={room.name}
        aria-describedby={descId}
        aria-current={selected ? "page" : undefined}
      >
        <span class="avatar-wrap">
          <Avatar client={client} mxc={room.avatarUrl} name={room.name} seed={room.roomId} />
          {other && <PresenceDot client={client} userId={other} />}
        </span>
        <span class="room-text">
          <span class="room-name">{room.name}</span>
          <span class="room-last" id={descId}>
            {unread > 0 && (
              <span class="visually-hidden">
                {unread} unread{highlight ? ", mentions you" : ""}.{" "}
              </span>
            )}
            {last}
          </span>
        </span>
        {unread > 0 && (
          <span class={highlight ? "badge highlight" : "badge"} aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </a>
    </li>
  );
}

/** Lists `roomId` as a direct chat with `userId` in this user's `m.direct` account data. */
async function markDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const current = (client.accountData("m.direct") ?? {}) as Record<string, unknown>;
  const rooms = Array.isArray(current[userId]) ? (current[userId] as string[]) : [];
  if (rooms.includes(roomId)) return;
  await client.setAccountData("m.direct", { ...current, [userId]: [...rooms, roomId] });
}

function InviteEntry(props: { readonly client: MatrixClient; readonly room: Room; readonly index: string }) {
  const { client, room, index } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const inviter = room.inviter;
  const descId = `invite-desc-${index}`;
  const act = async (accept: boolean) => {
    setBusy(true);
    setError(undefined);
    // A direct chat's invite says so (`is_direct`); joined, it is listed in this user's `m.direct`.
    const directWith = room.isDirect ? inviter : undefined;
    try {
      if (accept) {
        await client.joinRoom(room.roomId);
        if (directWith) await markDirect(client, directWith, room.roomId).catch(() => {});
        openRoom(room.roomId);
      } else {
        await client.leave(room.roomId);
      }
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <li class="room-entry invite">
      <a href={roomHref(room.roomId)} aria-label={room.name} aria-describedby={descId}>
        <span class="avatar-wrap">
          <Avatar client={client} mxc={room.avatarUrl} name={room.name} seed={room.roomId} />
        </span>
        <span class="room-text">
          <span class="room-name">{room.name}</span>
          <span class="room-last" id={descId}>
            {room.isDirect ? "wants to chat" : "Invitation"}
            {inviter ? ` from ${room.memberName(inviter)}` : ""}
          </span>
        </span>
      </a>
      <div class="invite-actions">
        <button type="button" class="primary small" disabled={busy} onClick={() => void act(true)}>
          Accept
        </button>
        <button type="button" class="small" disabled={busy} onClick={() => void act(false)}>
          Decline
        </button>
      </div>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function RoomList({
  client,
  selected,
}: {
  readonly client: MatrixClient;
  readonly selected?: string;
}) {
  const rooms = client.roomList();
  const invites = rooms.filter((r) => r.membership === "invite");
  const joined = rooms.filter((r) => r.membership === "join");
  const people = joined.filter((r) => r.isDirect);
  const groups = joined.filter((r) => !r.isDirect);
  const section = (id: string, title: string, list: Room[], invite = false) =>
    list.length > 0 && (
      <section class="room-section" aria-labelledby={id}>
        <h2 id={id}>{title}</h2>
        <ul>
          {list.map((room, i) =>
            invite ? (
              <InviteEntry key={room.roomId} client={client} room={room} index={`${id}-${i}`} />
            ) : (
              <RoomEntry
                key={room.roomId}
                client={client}
                room={room}
                selected={room.roomId === selected}
                index={`${id}-${i}`}
              />
            ),
          )}
        </ul>
      </section>
    );
  return (
    <nav class="room-list" aria-label="Rooms">
      {section("list-invites", "Invites", invites, true)}
      {section("list-people", "People", people)}
      {section("list-rooms", "Rooms", groups)}
      {rooms.length === 0 && <p class="empty">No rooms yet: create one, start a chat or explore.</p>}
    </nav>
  );
}

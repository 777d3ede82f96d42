/**
 * An open room: its header, the timeline with the typing line, the composer, and the members panel.
 * While the room is shown and the tab visible, its latest event is marked read (receipt and
 * fully-read marker), which is what others' read ticks show.
 */
import type { MatrixClient, Room, TimelineEvent } from "@hearth/client-sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { openRoom } from "../lib/route.js";
import { Avatar } from "./avatar.js";
import { Composer } from "./composer.js";
import { ConfirmDialog, useDialogs } from "./dialog.js";
import { errorText } from "./dialogs.js";
import { MembersPanel } from "./members.js";
import { Timeline } from "./timeline.js";

/** Marks the room read up to its latest event while it is on screen. */
function useMarkRead(client: MatrixClient, room: Room): void {
  const latest = room.timeline.findLast((e) => e.synced && e.eventId)?.eventId;
  const marked = useRef<string | undefined>(undefined);
  const [visible, setVisible] = useState(document.visibilityState === "visible");
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", onChange);
    return () => document.removeEventListener("visibilitychange", onChange);
  }, []);
  useEffect(() => {
    if (!visible || !latest || marked.current === latest || room.membership !== "join") return;
    const timer = setTimeout(() => {
      marked.current = latest;
      client.markRead(room.roomId, latest).catch(() => {
        marked.current = undefined;
      });
    }, 250);
    return () => clearTimeout(timer);
  });
}

/** Who is typing, as a sentence. */
function typingText(room: Room, me: string | undefined): string {
  const names = room.typingUserIds.filter((u) => u !== me).map((u) => room.memberName(u));
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
}

function InvitePreview({ client, room }: { readonly client: MatrixClient; readonly room: Room }) {
  const inviter = room.inviter;
  return (
    <div class="welcome">
      <Avatar client={client} mxc={room.avatarUrl} name={room.name} seed={room.roomId} size="l" />
      <h2>{room.name}</h2>
      <p>
        {inviter ? `${room.memberName(inviter)} invited you` : "You are invited"}
        {room.isDirect ? " to a direct chat." : " to this room."} Accept or decline the invitation in the room
        list.
      </p>
    </div>
  );
}

export function RoomView({ client, room }: { readonly client: MatrixClient; readonly room: Room }) {
  const dialogs = useDialogs();
  const [showMembers, setShowMembers] = useState(() => matchMedia("(min-width: 1000px)").matches);
  const [replyTo, setReplyTo] = useState<TimelineEvent | undefined>(undefined);
  const [editing, setEditing] = useState<TimelineEvent | undefined>(undefined);
  useMarkRead(client, room);
  if (room.membership === "invite") return <InvitePreview client={client} room={room} />;

  const leave = () =>
    dialogs.open(
      <ConfirmDialog
        title="Leave room"
        message={`Leave ${room.name}? You can join again if it is public or someone invites you.`}
        confirmLabel="Leave"
        danger
        onConfirm={async () => {
          try {
            await client.leave(room.roomId);
            openRoom(undefined);
          } catch (e) {
            alert(errorText(e));
          }
        }}
      />,
    );

  const typing = typingText(room, client.userId);
  return (
    <div class="room">
      <header class="room-header">
        <Avatar client={client} mxc={room.avatarUrl} name={room.name} seed={room.roomId} />
        <div class="room-title">
          <h1>{room.name}</h1>
          {room.topic && <p class="topic">{room.topic}</p>}
        </div>
        <button type="button" aria-pressed={showMembers} onClick={() => setShowMembers(!showMembers)}>
          Members
        </button>
        <button type="button" onClick={leave}>
          Leave
        </button>
      </header>
      <div class="room-body">
        <div class="room-main">
          <Timeline
            client={client}
            room={room}
            onReply={(e) => {
              setEditing(undefined);
              setReplyTo(e);
            }}
            onEdit={(e) => {
              setReplyTo(undefined);
              setEditing(e);
            }}
          />
          <div class="typing" aria-live="polite">
            {typing}
          </div>
          <Composer
            client={client}
            room={room}
            replyTo={replyTo}
            editing={editing}
            onDone={() => {
              setReplyTo(undefined);
              setEditing(undefined);
            }}
            onEditLast={setEditing}
          />
        </div>
        {showMembers && <MembersPanel client={client} room={room} />}
      </div>
    </div>
  );
}

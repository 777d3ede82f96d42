/**
 * The members panel: invite by user ID, and the joined, invited and banned members with presence and
 * power; kick and ban (and unban) where this user's power level allows.
 */
import type { MatrixClient, Member, Room } from "@hearth/client-sdk";
import { useState } from "preact/hooks";
import { Avatar, PresenceDot } from "./avatar.js";
import { ConfirmDialog, useDialogs } from "./dialog.js";
import { errorText, userIdFrom } from "./dialogs.js";

function powerLabel(level: number): string | undefined {
  if (level >= 100) return "Admin";
  if (level >= 50) return "Moderator";
  return undefined;
}

function MemberRow({
  client,
  room,
  member,
}: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly member: Member;
}) {
  const dialogs = useDialogs();
  const me = client.userId;
  const level = room.powerLevel(member.userId);
  const power = powerLabel(level);
  const self = member.userId === me;
  const act = (kind: "kick" | "ban" | "unban") => {
    const verb = kind === "kick" ? "Kick" : kind === "ban" ? "Ban" : "Unban";
    dialogs.open(
      <ConfirmDialog
        title={`${verb} ${member.name}`}
        message={
          kind === "kick"
            ? `Kick ${member.name} from ${room.name}? They can join again if invited or if the room is public.`
            : kind === "ban"
              ? `Ban ${member.name} from ${room.name}? They cannot join again until unbanned.`
              : `Let ${member.name} join ${room.name} again?`
        }
        confirmLabel={verb}
        danger={kind !== "unban"}
        onConfirm={async () => {
          try {
            if (kind === "kick") await client.kick(room.roomId, member.userId);
            else if (kind === "ban") await client.ban(room.roomId, member.userId);
            else await client.unban(room.roomId, member.userId);
          } catch (e) {
            alert(errorText(e));
          }
        }}
      />,
    );
  };
  return (
    <li class="member">
      <span class="avatar-wrap">
        <Avatar client={client} mxc={member.avatarUrl} name={member.name} seed={member.userId} size="s" />
        {member.membership === "join" && <PresenceDot client={client} userId={member.userId} />}
      </span>
      <span class="member-text" title={member.userId}>
        <span class="member-name">
          {member.name}
          {self ? " (you)" : ""}
        </span>
        {power && <span class="power">{power}</span>}
      </span>
      {!self &&
        member.membership !== "ban" &&
        member.membership !== "leave" &&
        room.canModerate("kick", member.userId) && (
          <button
            type="button"
            class="small"
            aria-label={`Kick ${member.name}`}
            title="Remove from the room"
            onClick={() => act("kick")}
          >
            Kick
          </button>
        )}
      {!self && member.membership !== "ban" && room.canModerate("ban", member.userId) && (
        <button
          type="button"
          class="small danger"
          aria-label={`Ban ${member.name}`}
          onClick={() => act("ban")}
        >
          Ban
        </button>
      )}
      {member.membership === "ban" && room.canDo("ban") && (
        <button type="button" class="small" aria-label={`Unban ${member.name}`} onClick={() => act("unban")}>
          Unban
        </button>
      )}
    </li>
  );
}

export function MembersPanel({ client, room }: { readonly client: MatrixClient; readonly room: Room }) {
  const [user, setUser] = useState("");
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const members = room.members.sort(
    (a, b) => room.powerLevel(b.userId) - room.powerLevel(a.userId) || a.name.localeCompare(b.name),
  );
  const joined = members.filter((m) => m.membership === "join");
  const invited = members.filter((m) => m.membership === "invite");
  const banned = members.filter((m) => m.membership === "ban");

  const invite = async (e: Event) => {
    e.preventDefault();
    if (!user.trim()) return;
    const userId = userIdFrom(client, user);
    setBusy(true);
    setStatus(undefined);
    try {
      await client.invite(room.roomId, userId);
      setUser("");
      setStatus({ ok: true, text: `Invited ${userId}.` });
    } catch (err) {
      setStatus({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const list = (title: string, people: Member[]) =>
    people.length > 0 && (
      <>
        <h3>
          {title} <span class="count">{people.length}</span>
        </h3>
        <ul class="member-list">
          {people.map((m) => (
            <MemberRow key={m.userId} client={client} room={room} member={m} />
          ))}
        </ul>
      </>
    );

  return (
    <aside class="members" aria-label="Members">
      {room.canDo("invite") && (
        <form class="invite-form" onSubmit={invite}>
          <label for="invite-user">User ID</label>
          <div class="row">
            <input
              id="invite-user"
              placeholder="@name:server"
              autocapitalize="none"
              spellcheck={false}
              value={user}
              onInput={(e) => setUser(e.currentTarget.value)}
            />
            <button type="submit" class="primary" disabled={busy}>
              Invite
            </button>
          </div>
          <p class={status?.ok === false ? "error small" : "hint small"} role="status">
            {status?.text}
          </p>
        </form>
      )}
      {list("Joined", joined)}
      {list("Invited", invited)}
      {list("Banned", banned)}
    </aside>
  );
}

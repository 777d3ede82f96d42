/** The app's dialogs: new room, start a chat, explore and join, profile, settings. */
import { isMatrixError, type MatrixClient, type PublicRoom } from "@hearth/client-sdk";
import { useEffect, useState } from "preact/hooks";
import { formatSize } from "../lib/media.js";
import { askPermission } from "../lib/notify.js";
import { openRoom } from "../lib/route.js";
import { type Theme, updateSettings, useSettings } from "../lib/settings.js";
import { Avatar } from "./avatar.js";
import { Dialog, useDialogs } from "./dialog.js";

/** A user-facing message for a failed request. */
export function errorText(e: unknown): string {
  if (isMatrixError(e)) return e.message || e.errcode;
  if ((e as Error)?.name === "ConnectionError") return "The homeserver cannot be reached right now.";
  return (e as Error)?.message ?? String(e);
}

/** `@name:server` from what the user typed: a full user ID, or a name on this user's server. */
export function userIdFrom(client: MatrixClient, input: string): string {
  const text = input.trim();
  if (text.startsWith("@") && text.includes(":")) return text;
  const server = client.userId?.split(":").slice(1).join(":") ?? "";
  return `@${text.replace(/^@/, "")}:${server}`;
}

export function NewRoomDialog({ client }: { readonly client: MatrixClient }) {
  const dialogs = useDialogs();
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [alias, setAlias] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setError("Give the room a name.");
    setBusy(true);
    setError(undefined);
    try {
      const roomId = await client.createRoom({
        name: name.trim(),
        ...(topic.trim() ? { topic: topic.trim() } : {}),
        preset: isPublic ? "public_chat" : "private_chat",
        visibility: isPublic ? "public" : "private",
        ...(isPublic && alias.trim() ? { alias: alias.trim().replace(/^#/, "").replace(/:.*$/, "") } : {}),
      });
      dialogs.close();
      openRoom(roomId);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="New room" onClose={dialogs.close}>
      <form onSubmit={submit}>
        <label for="new-room-name">Room name</label>
        <input id="new-room-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        <label for="new-room-topic">Topic (optional)</label>
        <input id="new-room-topic" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        <label class="check">
          <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} />
          Public: anyone can find it in the directory and join
        </label>
        {isPublic && (
          <>
            <label for="new-room-alias">Address (optional), e.g. lobby for #lobby:server</label>
            <input id="new-room-alias" value={alias} onInput={(e) => setAlias(e.currentTarget.value)} />
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={dialogs.close}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function StartChatDialog({ client }: { readonly client: MatrixClient }) {
  const dialogs = useDialogs();
  const [user, setUser] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!user.trim()) return;
    const userId = userIdFrom(client, user);
    const existing = client.rooms.find((r) => r.membership === "join" && r.directUserId === userId);
    if (existing) {
      dialogs.close();
      return openRoom(existing.roomId);
    }
    setBusy(true);
    setError(undefined);
    try {
      await client.getProfile(userId).catch((err) => {
        if (isMatrixError(err, "M_NOT_FOUND")) throw new Error(`There is no user ${userId}.`);
      });
      const roomId = await client.createDirectRoom(userId);
      dialogs.close();
      openRoom(roomId);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Start a chat" onClose={dialogs.close}>
      <form onSubmit={submit}>
        <label for="dm-user">User ID</label>
        <input
          id="dm-user"
          placeholder="@name:server"
          autocapitalize="none"
          spellcheck={false}
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={dialogs.close}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Start
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function ExploreDialog({ client }: { readonly client: MatrixClient }) {
  const dialogs = useDialogs();
  const [address, setAddress] = useState("");
  const [search, setSearch] = useState("");
  const [rooms, setRooms] = useState<PublicRoom[] | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      client.publicRooms({ limit: 50, ...(search.trim() ? { search: search.trim() } : {}) }).then(
        (page) => live && setRooms(page.chunk),
        (err) => live && setError(errorText(err)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, search]);

  const join = async (target: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const roomId = await client.joinRoom(target);
      dialogs.close();
      openRoom(roomId);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Explore rooms" onClose={dialogs.close} wide>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (address.trim()) void join(address.trim());
        }}
      >
        <label for="join-address">Room address or ID</label>
        <div class="row">
          <input
            id="join-address"
            placeholder="#room:server"
            autocapitalize="none"
            spellcheck={false}
            value={address}
            onInput={(e) => setAddress(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={busy}>
            Join
          </button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <label for="directory-search">Search the room directory</label>
      <input
        id="directory-search"
        type="search"
        value={search}
        onInput={(e) => setSearch(e.currentTarget.value)}
      />
      <ul class="directory" aria-label="Public rooms" aria-busy={rooms === undefined}>
        {rooms?.length === 0 && <li class="empty">No public rooms found.</li>}
        {rooms?.map((r) => {
          const name = r.name ?? r.canonical_alias ?? r.room_id;
          const joined = client.room(r.room_id)?.membership === "join";
          return (
            <li key={r.room_id}>
              <button
                type="button"
                class="directory-room"
                disabled={busy}
                aria-label={name}
                aria-describedby={`dir-${r.room_id}`}
                onClick={() => {
                  if (joined) {
                    dialogs.close();
                    openRoom(r.room_id);
                  } else void join(r.canonical_alias ?? r.room_id);
                }}
              >
                <Avatar client={client} mxc={r.avatar_url} name={name} seed={r.room_id} />
                <span class="room-text">
                  <span class="room-name">{name}</span>
                  <span class="room-last" id={`dir-${r.room_id}`}>
                    {joined ? "Joined. " : "Select to join. "}
                    {r.num_joined_members} member{r.num_joined_members === 1 ? "" : "s"}
                    {r.canonical_alias ? ` · ${r.canonical_alias}` : ""}
                    {r.topic ? ` · ${r.topic}` : ""}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <div class="actions">
        <button type="button" onClick={dialogs.close}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function ProfileDialog({ client }: { readonly client: MatrixClient }) {
  const dialogs = useDialogs();
  const me = client.userId!;
  const [name, setName] = useState<string | undefined>(undefined);
  const [avatar, setAvatar] = useState<string | undefined>(undefined);
  const [file, setFile] = useState<File | undefined>(undefined);
  const [preview, setPreview] = useState<string | undefined>(undefined);
  const [progress, setProgress] = useState<{ loaded: number; total: number } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    client.getProfile(me).then(
      (p) => {
        setName(p.displayname ?? "");
        setAvatar(p.avatar_url);
      },
      () => setName(""),
    );
  }, [client, me]);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (file) {
        const mxc = await client.uploadMedia(file, {
          filename: file.name,
          onProgress: ({ loaded, total }) => setProgress({ loaded, total: total ?? file.size }),
        });
        await client.setAvatarUrl(mxc);
      }
      if (name !== undefined) await client.setDisplayName(name.trim());
      dialogs.close();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Profile" onClose={dialogs.close}>
      <form onSubmit={save}>
        <div class="profile-avatar">
          {preview ? (
            <img class="avatar l" src={preview} alt="New avatar" />
          ) : (
            <Avatar client={client} mxc={avatar} name={name || me} seed={me} size="l" />
          )}
          <div>
            <p class="me-id">{me}</p>
            <label for="avatar-file">Avatar image</label>
            <input
              id="avatar-file"
              type="file"
              accept="image/*"
              onChange={(e) => setFile(e.currentTarget.files?.[0])}
            />
          </div>
        </div>
        {progress && (
          <progress
            aria-label="Uploading the avatar"
            value={progress.loaded}
            max={progress.total}
            title={formatSize(progress.loaded)}
          />
        )}
        <label for="display-name">Display name</label>
        <input
          id="display-name"
          value={name ?? ""}
          disabled={name === undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={dialogs.close}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function SettingsDialog({ client }: { readonly client: MatrixClient }) {
  const dialogs = useDialogs();
  const settings = useSettings();
  const [permission, setPermission] = useState(
    typeof Notification === "undefined" ? "unsupported" : Notification.permission,
  );
  const themes: Array<[Theme, string]> = [
    ["system", "Same as the system"],
    ["light", "Light"],
    ["dark", "Dark"],
  ];
  return (
    <Dialog title="Settings" onClose={dialogs.close}>
      <fieldset>
        <legend>Theme</legend>
        {themes.map(([value, label]) => (
          <label class="check" key={value}>
            <input
              type="radio"
              name="theme"
              value={value}
              checked={settings.theme === value}
              onChange={() => updateSettings({ theme: value })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Notifications</legend>
        <label class="check">
          <input
            type="checkbox"
            checked={settings.notifications}
            disabled={permission === "unsupported" || permission === "denied"}
            onChange={async (e) => {
              const on = e.currentTarget.checked;
              if (on) {
                const granted = await askPermission();
                setPermission(Notification.permission);
                updateSettings({ notifications: granted });
              } else updateSettings({ notifications: false });
            }}
          />
          Notify me of mentions and direct messages while this tab is hidden
        </label>
        {permission === "denied" && (
          <p class="hint">
            This browser blocks notifications from this site: allow them in its site settings.
          </p>
        )}
      </fieldset>
      <p class="hint">
        Signed in as {client.userId} on {client.http.baseUrl}, device {client.deviceId}. Syncing over{" "}
        {client.syncTransport === "websocket" ? "a WebSocket" : "long-polling"}.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={dialogs.close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

/**
 * The signed-in app: the sidebar (account, actions, room list), the open room, the offline banner
 * and the resend queue (failed sends go again when the server is back), notifications, dialogs.
 */
import type { MatrixClient } from "@hearth/client-sdk";
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { startNotifications, updateTitle } from "../lib/notify.js";
import { useRoute } from "../lib/route.js";
import { useClientUpdates } from "../lib/use-client.js";
import { Avatar } from "./avatar.js";
import { DialogContext, type Dialogs } from "./dialog.js";
import { ExploreDialog, NewRoomDialog, ProfileDialog, SettingsDialog, StartChatDialog } from "./dialogs.js";
import { RoomList } from "./room-list.js";
import { RoomView } from "./room-view.js";

interface Props {
  readonly client: MatrixClient;
  readonly onSignedOut: (notice?: string) => void;
}

/** Sends that failed go again: when the server is back, and every few seconds while it answers. */
function useResendQueue(client: MatrixClient): void {
  useEffect(() => {
    const resend = () => {
      for (const { roomId, item } of client.failedSends()) {
        if (item.txnId) client.retry(roomId, item.txnId).catch(() => {});
      }
    };
    const off = client.on("online", resend);
    const timer = setInterval(() => {
      if (client.online !== false) resend();
    }, 5000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [client]);
}

/** Whether the browser says it has a network. */
function useNavigatorOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    addEventListener("online", on);
    addEventListener("offline", off);
    return () => {
      removeEventListener("online", on);
      removeEventListener("offline", off);
    };
  }, []);
  return online;
}

function OfflineBanner({ client }: { readonly client: MatrixClient }) {
  const network = useNavigatorOnline();
  const offline = !network || client.online === false;
  const waiting = client.rooms.reduce(
    (n, r) => n + r.liveTimeline.pending.filter((p) => p.status !== "sent").length,
    0,
  );
  // The live region stays in the page; only its text changes.
  return (
    <div class={offline ? "banner offline" : "banner"} role="status">
      {offline &&
        `Offline: reconnecting to ${new URL(client.http.baseUrl).host}…${
          waiting > 0
            ? ` ${waiting} message${waiting === 1 ? "" : "s"} will be sent when the connection is back.`
            : ""
        }`}
    </div>
  );
}

export function Chat({ client, onSignedOut }: Props) {
  useClientUpdates(client);
  useResendQueue(client);
  const roomId = useRoute();
  const [dialog, setDialog] = useState<ComponentChildren | null>(null);
  const [startError, setStartError] = useState<string | undefined>(undefined);
  const dialogs = useMemo<Dialogs>(() => ({ open: setDialog, close: () => setDialog(null) }), []);
  const signedOut = useRef(onSignedOut);
  signedOut.current = onSignedOut;

  useEffect(() => {
    const offLoggedOut = client.on("loggedOut", () => {
      void client.logout().catch(() => {});
      signedOut.current("Your session ended on the server. Sign in again.");
    });
    const offNotify = startNotifications(client);
    // Presence follows the tab: online while shown, away while hidden (set explicitly, so that those
    // who share a room with this user hear of it even when the sync's own presence did not change).
    const presence = () =>
      void client.setPresence(document.hidden ? "unavailable" : "online").catch(() => {});
    document.addEventListener("visibilitychange", presence);
    client.start().then(presence, (e: Error) => {
      if (e.name !== "AbortedError") setStartError(e.message);
    });
    return () => {
      offLoggedOut();
      offNotify();
      document.removeEventListener("visibilitychange", presence);
      void client.stop();
    };
  }, [client]);

  useEffect(() => updateTitle(client));

  const signOut = async () => {
    try {
      await client.logout();
    } catch {
      // Offline: the session is forgotten here all the same.
    }
    onSignedOut();
  };

  const me = client.userId ?? "";
  const meName = client.rooms.map((r) => r.member(me)?.displayName).find((n) => n) ?? me;
  const meAvatar = client.rooms.map((r) => r.member(me)?.avatarUrl).find((a) => a);
  const room = roomId ? client.room(roomId) : undefined;

  return (
    <DialogContext.Provider value={dialogs}>
      <div class="layout" inert={dialog !== null} aria-hidden={dialog !== null ? "true" : undefined}>
        <OfflineBanner client={client} />
        <aside class="sidebar" aria-label="Account and rooms">
          <header class="me">
            <button
              type="button"
              class="me-button"
              aria-label="Profile"
              title={`${meName} (${me}): edit your profile`}
              onClick={() => dialogs.open(<ProfileDialog client={client} />)}
            >
              <Avatar client={client} mxc={meAvatar} name={meName} seed={me} />
              <span class="me-text">
                <span class="me-name">{meName}</span>
                <span class="me-id">{me}</span>
              </span>
            </button>
            <button
              type="button"
              class="icon"
              aria-label="Settings"
              title="Settings"
              onClick={() => dialogs.open(<SettingsDialog client={client} />)}
            >
              <span aria-hidden="true">⚙</span>
            </button>
          </header>
          <div class="sidebar-actions">
            <button type="button" onClick={() => dialogs.open(<NewRoomDialog client={client} />)}>
              New room
            </button>
            <button type="button" onClick={() => dialogs.open(<StartChatDialog client={client} />)}>
              Start chat
            </button>
            <button type="button" onClick={() => dialogs.open(<ExploreDialog client={client} />)}>
              Explore rooms
            </button>
          </div>
          <RoomList client={client} selected={roomId} />
          <footer class="sidebar-footer">
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </footer>
        </aside>
        <main class="main" id="main">
          {startError && (
            <p class="error" role="alert">
              {startError}
            </p>
          )}
          {room && (room.membership === "join" || room.membership === "invite") ? (
            <RoomView key={room.roomId} client={client} room={room} />
          ) : (
            <div class="welcome">
              <h2>Welcome to Hearth</h2>
              <p>Pick a room on the left, or create one with “New room”.</p>
            </div>
          )}
        </main>
      </div>
      {dialog}
    </DialogContext.Provider>
  );
}

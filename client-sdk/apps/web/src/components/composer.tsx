/**
 * The message composer: a "Message" field (Enter sends, Shift+Enter breaks the line, Escape cancels a
 * reply or edit, Up edits the last message), "Send", replies and edits, typing notifications, and
 * file uploads (button, paste or drop) with a progress bar and a preview of images.
 */
import type { MatrixClient, Room, TimelineEvent } from "@hearth/client-sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatSize } from "../lib/media.js";
import { errorText } from "./dialogs.js";

interface Upload {
  readonly id: number;
  readonly file: File;
  readonly preview: string | undefined;
  loaded: number;
  state: "uploading" | "failed";
  error?: string;
}

interface Props {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly replyTo: TimelineEvent | undefined;
  readonly editing: TimelineEvent | undefined;
  /** The reply or edit is sent or cancelled. */
  readonly onDone: () => void;
  /** Up in an empty field: edit this user's last message. */
  readonly onEditLast: (event: TimelineEvent) => void;
}

/** The size of an image file, for the event's `info` (w, h). */
async function imageSize(file: File): Promise<{ w: number; h: number } | undefined> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { w: bitmap.width, h: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return undefined;
  }
}

let uploadIds = 0;

export function Composer({ client, room, replyTo, editing, onDone, onEditLast }: Props) {
  const [text, setText] = useState("");
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  const typingSince = useRef(0);
  const roomId = room.roomId;

  // Editing starts from the message's current text; replying and editing focus the field.
  useEffect(() => {
    if (editing) setText(typeof editing.content.body === "string" ? editing.content.body : "");
    if (editing || replyTo) field.current?.focus();
  }, [editing, replyTo]);

  // Stop typing when leaving the room.
  useEffect(
    () => () => {
      if (typingSince.current > 0) void client.sendTyping(roomId, false).catch(() => {});
    },
    [client, roomId],
  );

  const setTyping = (typing: boolean) => {
    const now = Date.now();
    if (typing && now - typingSince.current < 20_000) return;
    if (!typing && typingSince.current === 0) return;
    typingSince.current = typing ? now : 0;
    void client.sendTyping(roomId, typing, 30_000).catch(() => {});
  };

  const send = () => {
    const body = text.trim();
    if (!body) return;
    setText("");
    setTyping(false);
    const failed = () => {
      /* The message shows "Not sent" with Retry; the resend queue tries again when back online. */
    };
    if (editing?.eventId) {
      if (body !== editing.content.body) void client.edit(roomId, editing.eventId, body).catch(failed);
    } else if (replyTo?.eventId) {
      void client.reply(roomId, replyTo.eventId, body).catch(failed);
    } else if (body.startsWith("/me ")) {
      void client.sendMessage(roomId, { msgtype: "m.emote", body: body.slice(4) }).catch(failed);
    } else {
      void client.sendText(roomId, body).catch(failed);
    }
    onDone();
    field.current?.focus();
  };

  const update = (id: number, change: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.id === id ? { ...u, ...change } : u)));

  const upload = async (item: Upload) => {
    const { file } = item;
    update(item.id, { state: "uploading", loaded: 0 });
    try {
      const [url, size] = await Promise.all([
        client.uploadMedia(file, {
          filename: file.name,
          ...(file.type ? { contentType: file.type } : {}),
          onProgress: ({ loaded }) => update(item.id, { loaded }),
        }),
        file.type.startsWith("image/") ? imageSize(file) : Promise.resolve(undefined),
      ]);
      const image = file.type.startsWith("image/");
      setUploads((list) => list.filter((u) => u.id !== item.id));
      if (item.preview) URL.revokeObjectURL(item.preview);
      await client.sendMessage(roomId, {
        msgtype: image ? "m.image" : "m.file",
        body: file.name,
        filename: file.name,
        url,
        info: { mimetype: file.type || "application/octet-stream", size: file.size, ...(size ?? {}) },
      });
    } catch (e) {
      update(item.id, { state: "failed", error: errorText(e) });
    }
  };

  const addFiles = (files: Iterable<File>) => {
    for (const file of files) {
      const item: Upload = {
        id: ++uploadIds,
        file,
        preview: file.type.startsWith("image/") ? URL.createObjectURL(file) : undefined,
        loaded: 0,
        state: "uploading",
      };
      setUploads((list) => [...list, item]);
      void upload(item);
    }
  };

  const lastOwn = () =>
    room.timeline.findLast(
      (e) =>
        e.sender === client.userId &&
        e.eventId !== undefined &&
        !e.redacted &&
        !e.isEdit &&
        e.type === "m.room.message" &&
        e.content.msgtype === "m.text",
    );

  return (
    <form
      class={dragging ? "composer dragging" : "composer"}
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) addFiles(e.dataTransfer.files);
      }}
    >
      {(replyTo || editing) && (
        <div class="composer-context">
          {editing ? (
            <span>Editing your message</span>
          ) : (
            <span>
              Replying to{" "}
              <strong>
                {replyTo!.sender === client.userId ? "yourself" : room.memberName(replyTo!.sender)}
              </strong>
            </span>
          )}
          <button
            type="button"
            class="link"
            onClick={() => {
              if (editing) setText("");
              onDone();
            }}
          >
            {editing ? "Cancel edit" : "Cancel reply"}
          </button>
        </div>
      )}
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.id} class={`upload ${u.state}`}>
              {u.preview && <img class="upload-preview" src={u.preview} alt={`Preview of ${u.file.name}`} />}
              <span class="upload-name">
                {u.file.name} ({formatSize(u.file.size)})
              </span>
              {u.state === "uploading" ? (
                <progress aria-label={`Uploading ${u.file.name}`} value={u.loaded} max={u.file.size || 1} />
              ) : (
                <span class="upload-failed">
                  <span role="alert">Upload failed: {u.error}</span>{" "}
                  <button type="button" class="link" onClick={() => void upload(u)}>
                    Retry
                  </button>{" "}
                  <button
                    type="button"
                    class="link"
                    onClick={() => setUploads((list) => list.filter((x) => x.id !== u.id))}
                  >
                    Discard
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <label class="attach button" title="Attach a file">
          <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path
              d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
              fill="none"
              stroke="currentColor"
              stroke-width="2"
              stroke-linecap="round"
            />
          </svg>
          <input
            type="file"
            class="visually-hidden"
            aria-label="Attach a file"
            multiple
            onChange={(e) => {
              const input = e.currentTarget;
              if (input.files?.length) addFiles(Array.from(input.files));
              input.value = "";
            }}
          />
        </label>
        <label for="composer-input" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={field}
          rows={Math.min(6, Math.max(1, text.split("\n").length))}
          placeholder={`Message ${room.name}`}
          value={text}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            if (!editing) setTyping(value.trim() !== "");
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === "Escape" && (replyTo || editing)) {
              e.preventDefault();
              if (editing) setText("");
              onDone();
            } else if (e.key === "ArrowUp" && text === "" && !editing) {
              const last = lastOwn();
              if (last) {
                e.preventDefault();
                onEditLast(last);
              }
            }
          }}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData?.files ?? []);
            if (files.length > 0) {
              e.preventDefault();
              addFiles(files);
            }
          }}
          onBlur={() => {
            if (text.trim() === "") setTyping(false);
          }}
        />
        <button type="submit" class="primary">
          Send
        </button>
      </div>
    </form>
  );
}

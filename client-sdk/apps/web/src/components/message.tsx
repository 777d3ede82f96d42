/**
 * One timeline entry: a message (sender, time, reply quote, body, "edited", reactions, actions, and
 * for this user's own messages the send state: sending, sent, read by others, or failed with retry),
 * or a line for a state change ("Alice joined").
 */
import type { MatrixClient, Room, TimelineEvent } from "@hearth/client-sdk";
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { formatSize, saveFile, useMedia } from "../lib/media.js";
import { mentions } from "../lib/notify.js";
import { timeLabel } from "../lib/time.js";
import { linkify, stripReplyFallback } from "../render/linkify.js";
import { renderHtml, type SafeImage } from "../render/sanitize.js";
import { Avatar } from "./avatar.js";
import { ConfirmDialog, useDialogs } from "./dialog.js";

/** The quick reactions offered. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

/** A state change as a sentence, or `undefined` for state not worth a line. */
export function stateText(item: TimelineEvent, room: Room): string | undefined {
  const e = item.event;
  const who = room.memberName(e.sender);
  const c = e.content;
  switch (e.type) {
    case "m.room.create":
      return `${who} created the room`;
    case "m.room.name":
      return typeof c.name === "string" && c.name
        ? `${who} named the room “${c.name}”`
        : `${who} removed the room name`;
    case "m.room.topic":
      return typeof c.topic === "string" && c.topic ? `${who} set the topic: ${c.topic}` : undefined;
    case "m.room.avatar":
      return `${who} changed the room avatar`;
    case "m.room.member": {
      const target = e.state_key ?? "";
      const name =
        typeof c.displayname === "string" && c.displayname ? c.displayname : room.memberName(target);
      const prev = (e.unsigned?.prev_content ?? {}) as Record<string, unknown>;
      const reason = typeof c.reason === "string" && c.reason ? ` (${c.reason})` : "";
      switch (c.membership) {
        case "join":
          if (prev.membership === "join") {
            if (prev.displayname !== c.displayname)
              return c.displayname
                ? `${prev.displayname ?? target} is now ${c.displayname}`
                : `${prev.displayname} removed their display name`;
            if (prev.avatar_url !== c.avatar_url) return `${name} changed their avatar`;
            return undefined;
          }
          return `${name} joined`;
        case "invite":
          return `${who} invited ${name}`;
        case "leave":
          if (e.sender !== target)
            return prev.membership === "ban" ? `${who} unbanned ${name}` : `${who} removed ${name}${reason}`;
          return prev.membership === "invite" ? `${name} declined the invitation` : `${name} left`;
        case "ban":
          return `${who} banned ${name}${reason}`;
        case "knock":
          return `${name} asked to join`;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

export function StateLine({ event, room }: { readonly event: TimelineEvent; readonly room: Room }) {
  return (
    <li class="state-line">
      <span>{stateText(event, room)}</span>{" "}
      <time dateTime={new Date(event.ts).toISOString()}>{timeLabel(event.ts)}</time>
    </li>
  );
}

/** An image from `mxc://` (authenticated media), sized from the event's info. */
export function MxcImage(props: {
  readonly client: MatrixClient;
  readonly mxc: string;
  readonly alt: string;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly inline?: boolean;
}) {
  const media = useMedia(props.client, props.mxc);
  const cls = props.inline ? "inline-image" : "message-image";
  if (media?.status === "ready")
    return (
      <img
        class={cls}
        src={media.url}
        alt={props.alt}
        width={props.width}
        height={props.height}
        loading="lazy"
      />
    );
  return (
    <span class={`${cls} placeholder`} role="img" aria-label={props.alt}>
      {media?.status === "error" ? "Image unavailable" : "Loading image…"}
    </span>
  );
}

function FileBody({
  client,
  content,
}: {
  readonly client: MatrixClient;
  readonly content: Record<string, unknown>;
}) {
  const [state, setState] = useState<"idle" | "saving" | "failed">("idle");
  const name = String(content.filename ?? content.body ?? "file");
  const info = (content.info ?? {}) as { size?: number; mimetype?: string };
  const url = typeof content.url === "string" ? content.url : undefined;
  if (!url) return <p class="body">{name}</p>;
  return (
    <button
      type="button"
      class="file"
      disabled={state === "saving"}
      onClick={() => {
        setState("saving");
        saveFile(client, url, name).then(
          () => setState("idle"),
          () => setState("failed"),
        );
      }}
    >
      <span aria-hidden="true">📄</span> Download {name}
      {info.size !== undefined ? ` (${formatSize(info.size)})` : ""}
      {state === "failed" ? " — failed, try again" : state === "saving" ? " …" : ""}
    </button>
  );
}

/** The body of a message event. */
export function MessageBody({
  client,
  room,
  event,
}: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly event: TimelineEvent;
}) {
  const c = event.content;
  const html =
    c.format === "org.matrix.custom.html" && typeof c.formatted_body === "string"
      ? c.formatted_body
      : undefined;
  // Parsed once per body, not on every render.
  const formatted = useMemo(
    () =>
      html === undefined
        ? undefined
        : renderHtml(html, {
            image: (img: SafeImage) => (
              <MxcImage
                client={client}
                mxc={img.src}
                alt={img.alt}
                width={img.width}
                height={img.height}
                inline
              />
            ),
          }),
    [client, html],
  );
  if (event.redacted) return <p class="body deleted">Message deleted</p>;
  if (event.type === "m.room.encrypted")
    return <p class="body deleted">🔒 Encrypted message: this client cannot decrypt it.</p>;
  const body = typeof c.body === "string" ? c.body : "";
  const info = (c.info ?? {}) as { w?: number; h?: number };
  const url = typeof c.url === "string" ? c.url : undefined;
  if ((c.msgtype === "m.image" || event.type === "m.sticker") && url)
    return (
      <div class="body">
        <MxcImage client={client} mxc={url} alt={body || "Image"} width={info.w} height={info.h} />
      </div>
    );
  if ((c.msgtype === "m.file" || c.msgtype === "m.audio" || c.msgtype === "m.video") && url)
    return <FileBody client={client} content={c} />;
  const isReply = event.relatesTo?.["m.in_reply_to"] !== undefined;
  const children: ComponentChildren[] = formatted ?? linkify(isReply ? stripReplyFallback(body) : body);
  const emote = c.msgtype === "m.emote";
  return (
    <div class={`body${c.msgtype === "m.notice" ? " notice" : ""}`}>
      {emote && <span class="emote">* {room.memberName(event.sender)} </span>}
      {children}
    </div>
  );
}

function ReplyQuote({
  client,
  room,
  event,
}: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly event: TimelineEvent;
}) {
  const parentId = event.relatesTo?.["m.in_reply_to"]?.event_id;
  if (!parentId) return null;
  const parent = room.liveTimeline.byId(parentId);
  if (!parent) return <blockquote class="reply-quote">In reply to an earlier message</blockquote>;
  const body = typeof parent.content.body === "string" ? parent.content.body : "";
  const text = parent.redacted
    ? "Message deleted"
    : parent.content.msgtype === "m.image"
      ? "Image"
      : stripReplyFallback(body);
  // The quoted text is drawn by CSS (`attr(data-quote)`), not put in the DOM: the reply's list item
  // then contains only its own text, so finding a message by its text finds that message alone.
  const quote = text.length > 140 ? `${text.slice(0, 140)}…` : text;
  return (
    <blockquote class="reply-quote">
      <span class="reply-sender">
        In reply to {parent.sender === client.userId ? "you" : room.memberName(parent.sender)}:
      </span>{" "}
      <span class="reply-text" data-quote={quote} />
    </blockquote>
  );
}

function Reactions({
  client,
  room,
  event,
}: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly event: TimelineEvent;
}) {
  if (event.reactions.size === 0 || !event.eventId) return null;
  const me = client.userId!;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of buttons, not of form fields
    <div class="reactions" role="group" aria-label="Reactions">
      {[...event.reactions].map(([key, senders]) => {
        const mine = senders.get(me);
        const names = [...senders.keys()].map((u) => (u === me ? "you" : room.memberName(u)));
        return (
          <button
            type="button"
            key={key}
            class={mine ? "reaction mine" : "reaction"}
            aria-pressed={mine !== undefined}
            title={`Reacted by ${names.join(", ")}`}
            onClick={() => {
              if (mine) void client.redact(room.roomId, mine).catch(() => {});
              else void client.react(room.roomId, event.eventId!, key).catch(() => {});
            }}
          >
            {key} {senders.size}
          </button>
        );
      })}
    </div>
  );
}

/** The send state of this user's message: a tick when sent, two when read by others. */
function SendState({
  client,
  room,
  event,
  readBy,
}: {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly event: TimelineEvent;
  readonly readBy: readonly string[];
}) {
  if (event.status === "failed")
    return (
      <span class="send-state failed">
        <span role="img" aria-label="Not sent">
          ⚠
        </span>{" "}
        Not sent{" "}
        <button
          type="button"
          class="link"
          onClick={() => void client.retry(room.roomId, event.txnId!).catch(() => {})}
        >
          Retry
        </button>{" "}
        <button type="button" class="link" onClick={() => client.cancelSend(room.roomId, event.txnId!)}>
          Discard
        </button>
      </span>
    );
  if (event.status === "pending" || (!event.synced && !event.eventId))
    return (
      <span class="send-state pending" role="img" aria-label="Sending" title="Sending">
        ◷
      </span>
    );
  if (readBy.length > 0) {
    const label = `Read by ${readBy.join(", ")}`;
    return (
      <span class="send-state read" role="img" aria-label={label} title={label}>
        ✓✓
      </span>
    );
  }
  return (
    <span class="send-state sent" role="img" aria-label="Sent" title="Sent">
      ✓
    </span>
  );
}

interface MessageProps {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly event: TimelineEvent;
  readonly continued: boolean;
  readonly readBy: readonly string[];
  readonly onReply: (event: TimelineEvent) => void;
  readonly onEdit: (event: TimelineEvent) => void;
}

export function Message({ client, room, event, continued, readBy, onReply, onEdit }: MessageProps) {
  const dialogs = useDialogs();
  const [picking, setPicking] = useState(false);
  const me = client.userId!;
  const own = event.sender === me;
  const sender = own ? "You" : room.memberName(event.sender);
  const member = room.member(event.sender);
  const ready = event.eventId !== undefined && !event.redacted;
  const c = event.content;
  const editable =
    own &&
    ready &&
    event.type === "m.room.message" &&
    ["m.text", "m.notice", "m.emote"].includes(String(c.msgtype));
  const highlighted =
    !own && event.type === "m.room.message" && mentions(event.event, me, room.member(me)?.displayName);
  const classes = [
    "message",
    own ? "own" : "",
    continued ? "continued" : "",
    highlighted ? "mention" : "",
    event.local ? "local" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const react = (key: string) => {
    setPicking(false);
    const mine = event.reactions.get(key)?.get(me);
    if (mine) void client.redact(room.roomId, mine).catch(() => {});
    else void client.react(room.roomId, event.eventId!, key).catch(() => {});
  };
  return (
    <li class={classes} data-event-id={event.eventId}>
      <div class="gutter">
        {!continued && (
          <Avatar
            client={client}
            mxc={member?.avatarUrl}
            name={room.memberName(event.sender)}
            seed={event.sender}
          />
        )}
      </div>
      <div class="message-main">
        <div class={continued ? "message-meta visually-hidden" : "message-meta"}>
          <span class="sender">{sender}</span>{" "}
          <time dateTime={new Date(event.ts).toISOString()} title={new Date(event.ts).toLocaleString()}>
            {timeLabel(event.ts)}
          </time>
        </div>
        <ReplyQuote client={client} room={room} event={event} />
        <MessageBody client={client} room={room} event={event} />
        {event.replacement && !event.redacted && <span class="edited">(edited)</span>}
        <Reactions client={client} room={room} event={event} />
      </div>
      <div class="message-side">
        {ready && (
          <div class="message-actions" role="toolbar" aria-label="Actions">
            <button type="button" aria-expanded={picking} onClick={() => setPicking(!picking)}>
              React
            </button>
            <button type="button" onClick={() => onReply(event)}>
              Reply
            </button>
            {editable && (
              <button type="button" onClick={() => onEdit(event)}>
                Edit
              </button>
            )}
            {room.canRedact(event) && (
              <button
                type="button"
                onClick={() =>
                  dialogs.open(
                    <ConfirmDialog
                      title="Delete message"
                      message="Delete this message for everyone?"
                      confirmLabel="Delete"
                      danger
                      onConfirm={() => void client.redact(room.roomId, event.eventId!).catch(() => {})}
                    />,
                  )
                }
              >
                Delete
              </button>
            )}
          </div>
        )}
        {picking && (
          // biome-ignore lint/a11y/useSemanticElements: a group of buttons, not of form fields
          <div class="reaction-picker" role="group" aria-label="Pick a reaction">
            {QUICK_REACTIONS.map((key) => (
              <button type="button" key={key} aria-label={`React with ${key}`} onClick={() => react(key)}>
                {key}
              </button>
            ))}
          </div>
        )}
        {own && <SendState client={client} room={room} event={event} readBy={readBy} />}
      </div>
    </li>
  );
}

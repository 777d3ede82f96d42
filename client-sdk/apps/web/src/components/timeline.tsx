/**
 * A room's timeline: messages grouped by day (a heading per day, then a list of messages), back
 * pagination when scrolled to the top (or with the button), and the scroll position kept at the
 * bottom while new messages come in (unless the user scrolled up to read).
 */
import type { MatrixClient, Room, TimelineEvent } from "@hearth/client-sdk";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { dayKey, dayLabel } from "../lib/time.js";
import { Message, StateLine, stateText } from "./message.js";

/** Message-like events shown as messages. */
const MESSAGE_TYPES = new Set(["m.room.message", "m.sticker", "m.room.encrypted"]);

/** Whether the timeline shows `e` (edits and reactions show on their target; state as a line). */
export function shown(e: TimelineEvent, room: Room): boolean {
  if (e.isEdit) return false;
  if (MESSAGE_TYPES.has(e.type)) return true;
  return e.event.state_key !== undefined && stateText(e, room) !== undefined;
}

interface Props {
  readonly client: MatrixClient;
  readonly room: Room;
  readonly onReply: (event: TimelineEvent) => void;
  readonly onEdit: (event: TimelineEvent) => void;
}

/** For this user's messages: who (else) has read up to each timeline position. */
function readers(room: Room, me: string | undefined, events: readonly TimelineEvent[]) {
  const index = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.eventId) index.set(e.eventId, i);
  });
  const positions: Array<{ userId: string; at: number }> = [];
  for (const [userId, receipt] of room.receipts) {
    if (userId === me) continue;
    const at = index.get(receipt.eventId);
    if (at !== undefined) positions.push({ userId, at });
  }
  return (at: number) => positions.filter((p) => p.at >= at).map((p) => room.memberName(p.userId));
}

export function Timeline({ client, room, onReply, onEdit }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const fromBottom = useRef(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const canLoad = room.liveTimeline.canPaginateBack;

  const loadOlder = async () => {
    if (loading || !room.liveTimeline.canPaginateBack) return;
    setLoading(true);
    setError(undefined);
    try {
      await client.paginateBack(room.roomId, 30);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  // Load older events when the top comes into view (and at once when the room shows few).
  useEffect(() => {
    const sentinel = top.current;
    if (!sentinel || !canLoad) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadOlder();
    });
    observer.observe(sentinel);
    return () => observer.disconnect();
  });

  // Keep the bottom in view for new messages; keep the view steady when older ones are added.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) el.scrollTop = el.scrollHeight;
    else el.scrollTop = el.scrollHeight - el.clientHeight - fromBottom.current;
  });

  const onScroll = () => {
    const el = scroller.current!;
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
    atBottom.current = fromBottom.current < 40;
  };

  const me = client.userId;
  const all = room.timeline;
  const readBy = readers(room, me, all);
  const days: Array<{ key: string; label: string; items: Array<{ event: TimelineEvent; at: number }> }> = [];
  all.forEach((event, at) => {
    if (!shown(event, room)) return;
    const key = dayKey(event.ts);
    let day = days.at(-1);
    if (!day || day.key !== key) {
      day = { key, label: dayLabel(event.ts), items: [] };
      days.push(day);
    }
    day.items.push({ event, at });
  });

  return (
    <div
      class="timeline"
      ref={scroller}
      onScroll={onScroll}
      role="log"
      aria-label={`Timeline of ${room.name}`}
    >
      <div ref={top} class="timeline-top">
        {canLoad ? (
          <button type="button" class="link" disabled={loading} onClick={() => void loadOlder()}>
            {loading ? "Loading older messages…" : "Load older messages"}
          </button>
        ) : (
          <p class="timeline-start">This is the beginning of {room.name}.</p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
      {days.map((day) => (
        <section key={day.key} class="day" aria-label={day.label}>
          <h2 class="day-separator">
            <span>{day.label}</span>
          </h2>
          <ol class="messages">
            {day.items.map(({ event, at }, i) => {
              const previous = day.items[i - 1]?.event;
              const continued =
                previous !== undefined &&
                previous.sender === event.sender &&
                MESSAGE_TYPES.has(previous.type) &&
                MESSAGE_TYPES.has(event.type) &&
                event.ts - previous.ts < 5 * 60_000;
              return MESSAGE_TYPES.has(event.type) ? (
                <Message
                  key={event.txnId ?? event.event.event_id}
                  client={client}
                  room={room}
                  event={event}
                  continued={continued}
                  readBy={event.sender === me ? readBy(at) : []}
                  onReply={onReply}
                  onEdit={onEdit}
                />
              ) : (
                <StateLine key={event.event.event_id} event={event} room={room} />
              );
            })}
          </ol>
        </section>
      ))}
    </div>
  );
}

/**
 * A room's timeline as the client knows it: segments of contiguous events (oldest first), the gaps
 * between them, and the local echoes of events this client is sending.
 *
 * A limited sync ("Syncing": `limited: true`) means events were skipped between what the client had
 * and the new batch, so the batch starts a new segment whose `prevBatch` token paginates back into
 * the gap (`GET /rooms/{roomId}/messages?dir=b&from=prevBatch`). When a page reaches an event the
 * older segment holds, the gap is filled and the two segments merge. Pure data: no I/O.
 */
import type { ClientEvent } from "@hearth/federation/client";

/** Where a local echo is: being sent, acknowledged by the server, or failed (retry it). */
export type SendStatus = "pending" | "sent" | "failed";

/** Content of an `m.relates_to`, as far as the SDK reads it. */
interface RelatesTo {
  readonly rel_type?: string;
  readonly event_id?: string;
  readonly key?: string;
  readonly "m.in_reply_to"?: { readonly event_id?: string };
}

/** The `m.relates_to` of content, when it is an object. */
export function relatesTo(content: Record<string, unknown>): RelatesTo | undefined {
  const r = content["m.relates_to"];
  return r && typeof r === "object" && !Array.isArray(r) ? (r as RelatesTo) : undefined;
}

/** The ID of the event a redaction redacts (top-level `redacts`, or in content from room v11). */
export function redactedEventId(event: ClientEvent): string | undefined {
  if (typeof event.redacts === "string") return event.redacts;
  const r = event.content.redacts;
  return typeof r === "string" ? r : undefined;
}

/** One event of a timeline, with what the SDK derives for it (edits, reactions, send status). */
export class TimelineEvent {
  /** The event: as the server sent it, or, for a local echo, as this client built it. */
  event: ClientEvent;
  /** For events this client sent: the transaction ID. */
  txnId: string | undefined;
  /**
   * For events this client sent: `pending` until the server acknowledged the send, `sent` once it
   * did (and after the server's copy came back in a sync), `failed` when the send failed (retry it
   * with the same transaction ID). `undefined` for everyone else's events.
   */
  status: SendStatus | undefined;
  /** Why the last send attempt failed. */
  error: Error | undefined;
  /** Whether the server's copy of the event is in the timeline (false for a local echo). */
  synced: boolean;
  /** The redaction that redacted it, if any. */
  redactedBy: ClientEvent | undefined;
  /** The latest edit (`m.replace` by the same sender), if any. */
  replacement: ClientEvent | undefined;
  /** Reactions (`m.annotation`): key → sender → the reaction's event ID. */
  readonly reactions = new Map<string, Map<string, string>>();
  /**
   * A `/messages` token for the position just before this event, when known: the `prev_batch` of the
   * sync batch it opened, or the `end` of the page it was the oldest of. The persisted timeline can
   * be cut there and still paginate back.
   */
  tokenBefore: string | undefined = undefined;

  constructor(event: ClientEvent, init: { txnId?: string; status?: SendStatus; synced: boolean }) {
    this.event = event;
    this.txnId = init.txnId;
    this.status = init.status;
    this.error = undefined;
    this.synced = init.synced;
    const because = event.unsigned?.redacted_because;
    this.redactedBy = because && typeof because === "object" ? because : undefined;
    this.replacement = undefined;
  }

  /** The event ID; `undefined` for a local echo the server has not acknowledged yet. */
  get eventId(): string | undefined {
    return this.event.event_id.startsWith("~") ? undefined : this.event.event_id;
  }
  get type(): string {
    return this.event.type;
  }
  get sender(): string {
    return this.event.sender;
  }
  get ts(): number {
    return this.event.origin_server_ts;
  }
  /** Whether this is a local echo not yet seen in a sync. */
  get local(): boolean {
    return !this.synced;
  }
  get redacted(): boolean {
    return this.redactedBy !== undefined;
  }
  /** The content to show: `{}` once redacted, the latest edit's `m.new_content` once edited. */
  get content(): Record<string, unknown> {
    if (this.redactedBy) return {};
    const replaced = this.replacement?.content["m.new_content"];
    if (replaced && typeof replaced === "object" && !Array.isArray(replaced))
      return replaced as Record<string, unknown>;
    return this.event.content;
  }
  /** The `m.relates_to` of the original content. */
  get relatesTo(): RelatesTo | undefined {
    return relatesTo(this.event.content);
  }
  /** The thread root this event is in (`m.thread`), if any. */
  get threadRootId(): string | undefined {
    const r = this.relatesTo;
    return r?.rel_type === "m.thread" ? r.event_id : undefined;
  }
  /** Whether it is an edit of another event (such events are usually hidden from a message list). */
  get isEdit(): boolean {
    return this.relatesTo?.rel_type === "m.replace";
  }
}

/** A run of contiguous events. */
export interface TimelineSegment {
  /** Oldest first. */
  readonly events: TimelineEvent[];
  /**
   * The token to paginate back from this segment's start; `undefined` once the room's first event
   * is reached.
   */
  prevBatch: string | undefined;
}

/** What applying events changed. */
export interface TimelineChange {
  /** Events added to the timeline, in order. */
  readonly added: TimelineEvent[];
  /** Local echoes whose server copy arrived (they are in `added` too, as synced events). */
  readonly echoes: TimelineEvent[];
  /** Events already in the timeline whose derived view changed (redacted, edited, reacted to). */
  readonly updated: TimelineEvent[];
}

/** A room's timeline. */
export class Timeline {
  /** Oldest first; the last one is live (syncs append to it). Gaps lie between segments. */
  readonly segments: TimelineSegment[] = [];
  /** Local echoes the server's copy has not come back for, in the order they were sent. */
  readonly pending: TimelineEvent[] = [];
  readonly #byId = new Map<string, TimelineEvent>();
  readonly #segmentOf = new Map<TimelineEvent, TimelineSegment>();
  /** Relations whose target is not loaded yet: target event ID → relation events. */
  readonly #orphans = new Map<string, ClientEvent[]>();
  /** Reaction event ID → where it counts, so a redaction can take it back. */
  readonly #reactionIndex = new Map<string, { target: string; key: string; sender: string }>();

  /** Every event in order: the segments, then the pending local echoes. */
  get events(): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    for (const s of this.segments) out.push(...s.events);
    out.push(...this.pending);
    return out;
  }

  /** Whether there is a gap (a limited sync that pagination has not filled yet). */
  get hasGap(): boolean {
    return this.segments.length > 1;
  }

  /** Whether back pagination can load more (a gap to fill, or older history). */
  get canPaginateBack(): boolean {
    return this.nextPagination() !== undefined;
  }

  /** The event with this ID (synced or acknowledged). */
  byId(eventId: string): TimelineEvent | undefined {
    return this.#byId.get(eventId);
  }

  /** The local echo (or its synced successor) with this transaction ID. */
  byTxnId(txnId: string): TimelineEvent | undefined {
    const p = this.pending.find((e) => e.txnId === txnId);
    if (p) return p;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const found = this.segments[i]!.events.findLast((e) => e.txnId === txnId);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Appends a sync's timeline section. `limited` starts a new segment (a gap before it). Events
   * already present are skipped (a resumed stream never repeats, but pagination may have loaded
   * them). Own events carrying `unsigned.transaction_id` replace their local echo.
   */
  addSync(events: readonly ClientEvent[], limited: boolean, prevBatch: string | undefined): TimelineChange {
    const change: TimelineChange = { added: [], echoes: [], updated: [] };
    let live = this.segments.at(-1);
    if (!live || (limited && live.events.length > 0)) {
      live = { events: [], prevBatch };
      this.segments.push(live);
    } else if (limited) {
      live.prevBatch = prevBatch;
    }
    for (const ev of events) {
      const known = this.#byId.get(ev.event_id);
      if (known?.synced) continue;
      const txnId = ev.unsigned?.transaction_id;
      // The server's copy of a local echo: matched by transaction ID, or by the event ID the send
      // returned. The echo object itself moves into the timeline, so references to it stay valid.
      const echoAt = this.pending.findIndex((p) => p === known || (txnId !== undefined && p.txnId === txnId));
      let item: TimelineEvent;
      if (echoAt >= 0) {
        item = this.pending.splice(echoAt, 1)[0]!;
        if (item.eventId) this.#byId.delete(item.eventId);
        item.event = ev;
        item.synced = true;
        item.status = "sent";
        item.error = undefined;
        change.echoes.push(item);
      } else {
        item = new TimelineEvent(ev, {
          synced: true,
          ...(txnId !== undefined ? { txnId, status: "sent" as const } : {}),
        });
      }
      if (ev === events[0]) item.tokenBefore = prevBatch;
      live.events.push(item);
      this.#index(item, live);
      change.added.push(item);
      this.#relate(item, change);
    }
    return change;
  }

  /** The segment to paginate next and its token: the newest one that can go back further. */
  nextPagination(): { segment: TimelineSegment; token: string } | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.prevBatch !== undefined) return { segment: s, token: s.prevBatch };
    }
    return undefined;
  }

  /**
   * Prepends a `/messages?dir=b` page (`chunk` newest first) to `segment`. Reaching an event the
   * segment before holds fills the gap: the two merge. `end` absent (or an empty chunk): the start
   * of the room. Returns the events added, in order.
   */
  addPage(segment: TimelineSegment, chunk: readonly ClientEvent[], end: string | undefined): TimelineChange {
    const change: TimelineChange = { added: [], echoes: [], updated: [] };
    const index = this.segments.indexOf(segment);
    if (index < 0) return change;
    const fresh: TimelineEvent[] = [];
    let joined: TimelineSegment | undefined;
    for (const ev of chunk) {
      const known = this.#byId.get(ev.event_id);
      if (known) {
        const at = this.#segmentOf.get(known);
        if (at && at !== segment) {
          joined = at;
          break;
        }
        continue;
      }
      fresh.push(new TimelineEvent(ev, { synced: true }));
    }
    if (!joined && fresh.length > 0 && fresh.at(-1)!.event === chunk.at(-1)) fresh.at(-1)!.tokenBefore = end;
    fresh.reverse();
    segment.events.unshift(...fresh);
    for (const item of fresh) this.#index(item, segment);
    if (joined) {
      // The gap is filled: everything from `joined` to `segment` becomes one segment.
      const from = this.segments.indexOf(joined);
      const merged: TimelineSegment = { events: [], prevBatch: joined.prevBatch };
      for (const s of this.segments.slice(from, index + 1)) merged.events.push(...s.events);
      this.segments.splice(from, index - from + 1, merged);
      for (const item of merged.events) this.#segmentOf.set(item, merged);
    } else {
      segment.prevBatch = chunk.length === 0 ? undefined : end;
    }
    for (const item of fresh) {
      change.added.push(item);
      this.#relate(item, change);
    }
    return change;
  }

  /** Adds a local echo at the end of the timeline. */
  addLocalEcho(item: TimelineEvent): void {
    this.pending.push(item);
  }

  /**
   * Records the server's acknowledgement of a local echo (its event ID). Returns the item, or
   * `undefined` when it is gone (cancelled).
   */
  acknowledge(txnId: string, eventId: string): TimelineEvent | undefined {
    const item = this.byTxnId(txnId);
    if (!item) return undefined;
    item.status = "sent";
    item.error = undefined;
    if (!item.synced) {
      item.event = { ...item.event, event_id: eventId };
      this.#byId.set(eventId, item);
    }
    return item;
  }

  /** Removes a local echo that was not sent (cancelled). Returns whether there was one. */
  removeLocalEcho(txnId: string): boolean {
    const at = this.pending.findIndex((p) => p.txnId === txnId);
    if (at < 0) return false;
    const [item] = this.pending.splice(at, 1);
    if (item?.eventId) this.#byId.delete(item.eventId);
    return true;
  }

  #index(item: TimelineEvent, segment: TimelineSegment): void {
    this.#byId.set(item.event.event_id, item);
    this.#segmentOf.set(item, segment);
  }

  /** Applies what `item` says about other events, and what earlier-seen relations say about it. */
  #relate(item: TimelineEvent, change: TimelineChange): void {
    const ev = item.event;
    const target = this.#targetOf(ev);
    if (target !== undefined) {
      const t = this.#byId.get(target);
      if (t) {
        if (this.#applyRelation(t, ev)) change.updated.push(t);
      } else {
        const list = this.#orphans.get(target) ?? [];
        list.push(ev);
        this.#orphans.set(target, list);
      }
    }
    const waiting = this.#orphans.get(ev.event_id);
    if (waiting) {
      this.#orphans.delete(ev.event_id);
      for (const r of waiting) this.#applyRelation(item, r);
    }
  }

  /** The event a redaction, edit or reaction points at. */
  #targetOf(ev: ClientEvent): string | undefined {
    if (ev.type === "m.room.redaction") return redactedEventId(ev);
    const r = relatesTo(ev.content);
    if (r?.rel_type === "m.replace" || (r?.rel_type === "m.annotation" && ev.type === "m.reaction"))
      return r.event_id;
    return undefined;
  }

  /** Applies one relation `ev` to `target`; returns whether the target's view changed. */
  #applyRelation(target: TimelineEvent, ev: ClientEvent): boolean {
    if (ev.type === "m.room.redaction") {
      if (target.redactedBy) return false;
      target.redactedBy = ev;
      const reaction = this.#reactionIndex.get(target.event.event_id);
      if (reaction) {
        this.#reactionIndex.delete(target.event.event_id);
        const counted = this.#byId.get(reaction.target);
        const senders = counted?.reactions.get(reaction.key);
        if (senders?.get(reaction.sender) === target.event.event_id) {
          senders.delete(reaction.sender);
          if (senders.size === 0) counted!.reactions.delete(reaction.key);
        }
      }
      return true;
    }
    if (target.redactedBy) return false;
    const r = relatesTo(ev.content)!;
    if (r.rel_type === "m.replace") {
      if (ev.sender !== target.sender) return false;
      if (target.replacement && target.replacement.origin_server_ts > ev.origin_server_ts) return false;
      target.replacement = ev;
      return true;
    }
    if (typeof r.key !== "string") return false;
    let senders = target.reactions.get(r.key);
    if (!senders) {
      senders = new Map();
      target.reactions.set(r.key, senders);
    }
    if (senders.has(ev.sender)) return false;
    senders.set(ev.sender, ev.event_id);
    this.#reactionIndex.set(ev.event_id, { target: target.event.event_id, key: r.key, sender: ev.sender });
    return true;
  }
}

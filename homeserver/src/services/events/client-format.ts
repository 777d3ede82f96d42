/**
 * Events as clients see them (Client-Server API, "Room Events" / "ClientEvent"): the federation
 * fields stripped, `unsigned` filled with `age`, `transaction_id` (for the sending device only),
 * `prev_content`/`replaces_state` for state events, `redacted_because` for redacted events, which
 * are served in their redacted form, and bundled aggregations of related events (`m.relations`).
 */
import { redactEvent, roomVersionRules, stateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RelationStore } from "../../storage/relations.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { StateGroupStore } from "../../storage/state.js";

/** A client event (ClientEvent / ClientEventWithoutRoomID). */
export interface ClientEvent {
  type: string;
  content: Record<string, unknown>;
  event_id: string;
  sender: string;
  origin_server_ts: number;
  room_id?: string;
  state_key?: string;
  redacts?: string;
  unsigned: Record<string, unknown>;
}

/** Who is looking, and how. */
export interface FormatOptions {
  /** The requesting user and device (for `transaction_id`). */
  readonly userId?: string;
  readonly deviceId?: string;
  /** Leave out `room_id` (sync's timeline and state sections). */
  readonly omitRoomId?: boolean;
}

/** Formats stored events for clients. */
export class ClientEventFormatter {
  constructor(
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly stateGroups: StateGroupStore,
    private readonly now: () => number,
    /** The relationship index, for bundled aggregations (none without it). */
    private readonly relations?: RelationStore,
  ) {}

  /** One event in client format. */
  async format(ev: StoredEvent, options: FormatOptions = {}, depth = 0): Promise<ClientEvent> {
    const roomVersion = (await this.rooms.info(ev.roomId))?.roomVersion ?? "11";
    const pdu = ev.redactedBy ? redactEvent(ev.pdu, roomVersion) : ev.pdu;
    const out: ClientEvent = {
      type: pdu.type,
      content: { ...(pdu.content as Record<string, unknown>) },
      event_id: ev.eventId,
      sender: pdu.sender,
      origin_server_ts: pdu.origin_server_ts,
      unsigned: { age: Math.max(0, this.now() - pdu.origin_server_ts) },
    };
    if (!options.omitRoomId) out.room_id = ev.roomId;
    if (typeof pdu.state_key === "string") out.state_key = pdu.state_key;
    if (pdu.type === "m.room.redaction") {
      const redacts = roomVersionRules(roomVersion).redactsInContent
        ? (pdu.content as { redacts?: unknown }).redacts
        : ev.pdu.redacts;
      // From v11 `redacts` is in content; the top-level copy stays for older clients.
      if (typeof redacts === "string") out.redacts = redacts;
    }
    if (ev.txn && options.deviceId === ev.txn.deviceId && options.userId === pdu.sender) {
      out.unsigned.transaction_id = ev.txn.txnId;
    }
    if (typeof pdu.state_key === "string" && ev.stateGroupBefore >= 0) {
      const prevId = await this.stateGroups.entry(ev.stateGroupBefore, stateMapKey(pdu.type, pdu.state_key));
      if (prevId && prevId !== ev.eventId) {
        const prev = await this.events.get(prevId);
        if (prev) {
          out.unsigned.replaces_state = prevId;
          out.unsigned.prev_sender = prev.pdu.sender;
          out.unsigned.prev_content = prev.redactedBy
            ? (redactEvent(prev.pdu, roomVersion).content as Record<string, unknown>)
            : prev.pdu.content;
        }
      }
    }
    if (ev.redactedBy && depth === 0) {
      const because = await this.events.get(ev.redactedBy);
      if (because) out.unsigned.redacted_because = await this.format(because, options, depth + 1);
    }
    // Aggregations are for message-like events: state events (the bulk of an initial sync) are left
    // out, as Synapse does, which keeps the index lookups to the timeline.
    if (depth === 0 && !ev.redactedBy && this.relations && typeof pdu.state_key !== "string") {
      const aggregations = await this.#aggregations(ev, options);
      if (aggregations) out.unsigned["m.relations"] = aggregations;
    }
    return out;
  }

  /**
   * Bundled aggregations of an event's children ("Aggregations of child events"): the thread summary
   * (`m.thread`: latest event, count, whether the viewer took part), the latest edit by the original
   * sender (`m.replace`, the whole event, as since v1.7) and references (`m.reference`).
   */
  async #aggregations(ev: StoredEvent, options: FormatOptions): Promise<Record<string, unknown> | undefined> {
    if (!this.relations!.mayHaveChildren(ev.eventId)) return undefined;
    const children = await this.relations!.children(ev.eventId);
    if (children.length === 0) return undefined;
    const out: Record<string, unknown> = {};
    const thread = children.filter((c) => c.relType === "m.thread");
    const latestThread = thread.at(-1);
    const latest = latestThread ? await this.events.get(latestThread.eventId) : undefined;
    if (latest) {
      out["m.thread"] = {
        latest_event: await this.format(latest, options, 1),
        count: thread.length,
        current_user_participated:
          options.userId !== undefined &&
          (ev.pdu.sender === options.userId || thread.some((c) => c.sender === options.userId)),
      };
    }
    // An edit counts only from the original sender and with the original's type; the most recent by
    // origin_server_ts, then event ID.
    const edits = children
      .filter((c) => c.relType === "m.replace" && c.sender === ev.pdu.sender)
      .sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : 1));
    for (const edit of edits.reverse()) {
      const stored = await this.events.get(edit.eventId);
      if (!stored || stored.redactedBy) continue;
      if (stored.pdu.type !== ev.pdu.type) continue;
      out["m.replace"] = await this.format(stored, options, 1);
      break;
    }
    const references = children.filter((c) => c.relType === "m.reference");
    if (references.length > 0)
      out["m.reference"] = { chunk: references.map((c) => ({ event_id: c.eventId })) };
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** Several events, in order. */
  async formatAll(events: readonly StoredEvent[], options: FormatOptions = {}): Promise<ClientEvent[]> {
    return Promise.all(events.map((e) => this.format(e, options)));
  }
}

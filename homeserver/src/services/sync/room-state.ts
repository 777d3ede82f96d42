/**
 * Shared read helpers for sync and the room read endpoints: state maps at a point of the timeline,
 * serialisation of events as a filter asks (`event_format`, `event_fields`), stripped state, and
 * lazy-loaded member selection (Client-Server API, "Lazy-loading room members").
 */
import { parseStateMapKey, stateMapKey } from "@hearth/federation";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { StateGroupStore } from "../../storage/state.js";
import type { ClientEventFormatter, FormatOptions } from "../events/client-format.js";
import { applyEventFields, type Filter, matchesRoomEventFilter, type RoomEventFilter } from "./filter.js";

const EMPTY: ReadonlyMap<string, string> = new Map();

/** Event types in stripped state ("Stripped state"). */
export const STRIPPED_STATE_TYPES = [
  "m.room.create",
  "m.room.name",
  "m.room.avatar",
  "m.room.topic",
  "m.room.join_rules",
  "m.room.canonical_alias",
  "m.room.encryption",
] as const;

/** The state map key of a user's member event. */
export function memberKey(userId: string): string {
  return stateMapKey("m.room.member", userId);
}

/** A stripped state event: only `type`, `state_key`, `content` and `sender`. */
export interface StrippedStateEvent {
  readonly type: string;
  readonly state_key: string;
  readonly content: unknown;
  readonly sender: string;
}

/** Reads states and shapes events for responses. */
export class RoomStateReader {
  constructor(
    private readonly events: EventStore,
    private readonly stateGroups: StateGroupStore,
    private readonly formatter: ClientEventFormatter,
  ) {}

  /** The state map of a group (empty for -1, the state before the create event). */
  async stateOf(group: number): Promise<ReadonlyMap<string, string>> {
    return group < 0 ? EMPTY : this.stateGroups.state(group);
  }

  /** The state group after the latest timeline event of a room at or before stream position `stream`. */
  async groupAtStream(roomId: string, stream: number): Promise<number> {
    return (await this.events.latestInRoom(roomId, stream))?.stateGroup ?? -1;
  }

  /** Events by ID, in order, leaving out unknown ones. */
  async load(ids: Iterable<string>): Promise<StoredEvent[]> {
    return (await this.events.getMany([...ids])).filter((e): e is StoredEvent => e !== undefined);
  }

  /**
   * The state events of `state` a filter lets through: by the filter's types/senders, and with
   * `lazy_load_members` only the member events of `members`.
   */
  async selectState(
    state: ReadonlyMap<string, string>,
    filter: RoomEventFilter | undefined,
    roomId: string,
    members?: ReadonlySet<string>,
  ): Promise<StoredEvent[]> {
    const ids: string[] = [];
    for (const [k, id] of state) {
      if (members && filter?.lazy_load_members) {
        const [type, stateKey] = parseStateMapKey(k);
        if (type === "m.room.member" && !members.has(stateKey)) continue;
      }
      ids.push(id);
    }
    const events = await this.load(ids);
    return events.filter((ev) =>
      matchesRoomEventFilter(filter, {
        type: ev.pdu.type,
        sender: ev.pdu.sender,
        roomId,
        content: ev.pdu.content,
      }),
    );
  }

  /** Stripped state of a room at a state group, plus `extra` events (the invite or knock itself). */
  async strippedState(group: number, extra: readonly StoredEvent[]): Promise<StrippedStateEvent[]> {
    const ids: string[] = [];
    for (const type of STRIPPED_STATE_TYPES) {
      const id = group >= 0 ? await this.stateGroups.entry(group, stateMapKey(type, "")) : undefined;
      if (id) ids.push(id);
    }
    const extraIds = new Set(extra.map((e) => e.eventId));
    const events = [...(await this.load(ids.filter((id) => !extraIds.has(id)))), ...extra];
    const stripped = events.map((ev) => ({
      type: ev.pdu.type,
      state_key: ev.pdu.state_key ?? "",
      content: ev.pdu.content,
      sender: ev.pdu.sender,
    }));
    // A room we hold no state for (an invite or knock over federation): the stripped state the other
    // server sent with it, kept in the event's `unsigned`.
    if (group < 0) {
      for (const ev of extra) {
        const unsigned = (ev.pdu.unsigned ?? {}) as Record<string, unknown>;
        const sent = unsigned.invite_room_state ?? unsigned.knock_room_state;
        if (!Array.isArray(sent)) continue;
        for (const e of sent as Array<Record<string, unknown>>) {
          if (typeof e?.type !== "string" || typeof e.state_key !== "string" || typeof e.sender !== "string")
            continue;
          if (stripped.some((x) => x.type === e.type && x.state_key === e.state_key)) continue;
          stripped.unshift({
            type: e.type,
            state_key: e.state_key,
            content: (typeof e.content === "object" && e.content !== null ? e.content : {}) as never,
            sender: e.sender,
          });
        }
      }
    }
    return stripped;
  }

  /** Events as a client asked for them: client or federation format, `event_fields` applied. */
  async serialize(
    events: readonly StoredEvent[],
    options: FormatOptions,
    filter?: Pick<Filter, "event_fields" | "event_format">,
  ): Promise<Array<Record<string, unknown>>> {
    const out = await Promise.all(
      events.map(async (ev) => {
        const base: Record<string, unknown> =
          filter?.event_format === "federation"
            ? (JSON.parse(ev.json) as Record<string, unknown>)
            : ((await this.formatter.format(ev, options)) as unknown as Record<string, unknown>);
        return applyEventFields(base, filter?.event_fields);
      }),
    );
    return out;
  }
}

/** The entries of `to` that differ from `from` (a state delta). */
export function stateDelta(
  to: ReadonlyMap<string, string>,
  from: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of to) if (from.get(k) !== v) out.set(k, v);
  return out;
}

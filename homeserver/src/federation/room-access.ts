/**
 * What a remote server may read of a room over federation: whether it is in the room (a user of its
 * own joined), whether the room's server ACL lets it in, which events it may see in full (history
 * visibility for servers, as Synapse's `filter_events_for_server` decides it), and how events are
 * served (the stored PDU JSON; redacted when the server may not see it or it was redacted).
 */
import { authEventIds, MatrixError, parseStateMapKey, redactEvent, stateMapKey } from "@hearth/federation";
import { currentStateEvent } from "../services/rooms/current-state.js";
import { visibilityOf } from "../services/visibility/history-visibility.js";
import type { EventStore, StoredEvent } from "../storage/events.js";
import type { RoomInfo, RoomStore } from "../storage/rooms.js";
import type { StateGroupStore } from "../storage/state.js";
import { isServerAllowedByAcl } from "./acl.js";

/** The stores room access reads. */
export interface RoomAccessDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly stateGroups: StateGroupStore;
}

/** The most events an auth chain walk visits (a bound against pathological rooms). */
const MAX_AUTH_CHAIN = 100_000;

const HV_KEY = stateMapKey("m.room.history_visibility", "");

function domainOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

/** Room access checks for federation requests. */
export class FederationRoomAccess {
  constructor(private readonly deps: RoomAccessDeps) {}

  /** Whether the room's current `m.room.server_acl` allows `origin` (rooms without one allow all). */
  async serverAllowed(origin: string, roomId: string): Promise<boolean> {
    const ev = await currentStateEvent(this.deps, roomId, "m.room.server_acl");
    return ev === undefined || isServerAllowedByAcl(origin, ev.pdu.content);
  }

  /** Whether `origin` has a joined user in the room's current state. */
  async serverInRoom(origin: string, roomId: string): Promise<boolean> {
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join" && domainOf(userId) === origin) return true;
    }
    return false;
  }

  /** The memberships of `origin`'s users in a state group. */
  async serverMemberships(origin: string, group: number): Promise<string[]> {
    if (group < 0) return [];
    const state = await this.deps.stateGroups.state(group);
    const ids: string[] = [];
    const suffix = `:${origin}`;
    for (const [k, id] of state) {
      if (!k.startsWith('["m.room.member"')) continue;
      const [type, stateKey] = parseStateMapKey(k);
      if (type === "m.room.member" && stateKey.endsWith(suffix) && domainOf(stateKey) === origin)
        ids.push(id);
    }
    const events = await this.deps.events.getMany(ids);
    return events
      .map((e) => (e?.pdu.content as { membership?: unknown } | undefined)?.membership)
      .filter((m): m is string => typeof m === "string");
  }

  /**
   * The room's info when `origin` may read it: it has a user joined in the current state, or (when
   * `at` is given) in the state at that event. Otherwise 403 `M_FORBIDDEN`, also for rooms we do
   * not know (not revealing which rooms exist).
   */
  async assertServerInRoom(origin: string, roomId: string, at?: StoredEvent): Promise<RoomInfo> {
    const info = await this.deps.rooms.info(roomId);
    if (info !== undefined) {
      if (await this.serverInRoom(origin, roomId)) return info;
      if (at !== undefined && (await this.serverMemberships(origin, at.stateGroup)).includes("join")) {
        return info;
      }
    }
    throw new MatrixError("M_FORBIDDEN", "Server is not in the room");
  }

  /**
   * An event of `roomId` that can be served: stored, not rejected, in that room. 404 `M_NOT_FOUND`
   * otherwise.
   */
  async eventInRoom(roomId: string, eventId: string): Promise<StoredEvent> {
    const ev = await this.deps.events.get(eventId);
    if (ev === undefined || ev.rejected !== undefined || ev.roomId !== roomId) {
      throw new MatrixError("M_NOT_FOUND", `Could not find event ${eventId}`);
    }
    return ev;
  }

  /**
   * Whether `origin` may see `ev` in full (Synapse's `filter_events_for_server`): the history
   * visibility at the event (the state before it; for a visibility change, the more permissive of
   * before and after) is `world_readable` or `shared`; or it is `invited` and one of the server's
   * users was invited or joined at the event; or it is `joined` and one of them was joined. The
   * caller has checked that the server is in the room.
   */
  async visibleTo(origin: string, ev: StoredEvent): Promise<boolean> {
    // Outliers have no state: the server is in the room and the default visibility is `shared`.
    if (ev.stateGroup < 0 && ev.stateGroupBefore < 0) return true;
    const visibilities = [await this.#visibilityAt(ev.stateGroupBefore)];
    if (ev.pdu.type === "m.room.history_visibility" && ev.pdu.state_key === "") {
      visibilities.push(visibilityOf(ev.pdu.content));
    }
    if (visibilities.some((v) => v === "world_readable" || v === "shared")) return true;
    const memberships = await this.serverMemberships(origin, ev.stateGroup);
    if (memberships.includes("join")) return true;
    return visibilities.includes("invited") && memberships.includes("invite");
  }

  async #visibilityAt(group: number) {
    if (group < 0) return "shared" as const;
    const id = await this.deps.stateGroups.entry(group, HV_KEY);
    const ev = id === undefined ? undefined : await this.deps.events.get(id);
    return ev === undefined ? ("shared" as const) : visibilityOf(ev.pdu.content);
  }

  /**
   * The PDU to serve for `ev`: the JSON as stored (v3+ without `event_id`), without `unsigned`;
   * redacted when the event was redacted or `visible` is false.
   */
  pduFor(ev: StoredEvent, roomVersion: string, visible = true): Record<string, unknown> {
    const pdu = JSON.parse(ev.json) as Record<string, unknown>;
    delete pdu.unsigned;
    if (!visible || ev.redactedBy !== undefined) return redactEvent(pdu, roomVersion);
    return pdu;
  }

  /** The PDUs to serve `origin` for `events`: each in full or redacted per {@link visibleTo}. */
  async pdusFor(origin: string, events: readonly StoredEvent[], roomVersion: string) {
    const out: Record<string, unknown>[] = [];
    for (const ev of events) out.push(this.pduFor(ev, roomVersion, await this.visibleTo(origin, ev)));
    return out;
  }

  /**
   * The auth chain of `eventIds`: their auth events, recursively, without the given events unless
   * one is an auth event of another. Events we do not have are skipped.
   */
  async authChain(eventIds: Iterable<string>): Promise<StoredEvent[]> {
    const seen = new Set<string>();
    const out: StoredEvent[] = [];
    let frontier = new Set<string>();
    for (const ev of await this.deps.events.getMany([...eventIds])) {
      if (ev) for (const id of authEventIds(ev.pdu)) frontier.add(id);
    }
    while (frontier.size > 0 && seen.size < MAX_AUTH_CHAIN) {
      const ids = [...frontier].filter((id) => !seen.has(id));
      for (const id of ids) seen.add(id);
      frontier = new Set();
      for (const ev of await this.deps.events.getMany(ids)) {
        if (!ev || ev.rejected !== undefined) continue;
        out.push(ev);
        for (const id of authEventIds(ev.pdu)) if (!seen.has(id)) frontier.add(id);
      }
    }
    return out;
  }

  /**
   * The state before `ev` (the spec's "state of the room at the given event, prior to considering
   * any state changes induced by the requested event"), as event IDs. 404 when we do not know it
   * (outliers).
   */
  async stateBefore(ev: StoredEvent): Promise<string[]> {
    if (ev.stateGroupBefore >= 0)
      return [...(await this.deps.stateGroups.state(ev.stateGroupBefore)).values()];
    // The create event has nothing before it.
    if (ev.pdu.type === "m.room.create" && ev.pdu.state_key === "" && !ev.outlier) return [];
    throw new MatrixError("M_NOT_FOUND", `The state at event ${ev.eventId} is not known`);
  }
}

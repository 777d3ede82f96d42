/**
 * Rooms: creation with presets, membership (join, invite, leave, kick, ban, unban, forget), state and
 * message events, redactions (Client-Server API, "Rooms", "Room membership", "Events"). Every write
 * goes through the event pipeline, which applies the authorization rules; this service adds what
 * the Client-Server API asks on top (aliases, presets, profiles in member events, idempotent sends).
 */
import {
  isKnownRoomVersion,
  isValidRoomAlias,
  isValidUserId,
  MatrixError,
  namedPowerLevel,
  requiredPowerLevel,
  roomVersionRules,
  stateMapKey,
  userPowerLevel,
} from "@hearth/federation";
import type { Database } from "../../storage/db.js";
import type { DirectoryStore } from "../../storage/directory.js";
import type { EventStore, StoredEvent } from "../../storage/events.js";
import type { RoomStore } from "../../storage/rooms.js";
import type { EventPipeline, NewEvent } from "../events/pipeline.js";
import { currentStateEvent } from "./current-state.js";
import { restrictedJoinAuthoriser } from "./restricted-join.js";

/** A user's profile as member events carry it. */
export interface Profile {
  readonly displayname?: string | null;
  readonly avatar_url?: string | null;
}

/** Reads profiles (from the accounts service). */
export interface ProfileReader {
  getProfile(userId: string): Promise<Profile | undefined>;
}

/** Membership across servers (the federated membership service), when federation is enabled. */
export interface RemoteMembership {
  join(
    userId: string,
    roomId: string,
    servers: readonly string[],
    content: Record<string, unknown>,
  ): Promise<void>;
  inviteRemote(
    sender: string,
    roomId: string,
    target: string,
    content: Record<string, unknown>,
  ): Promise<string>;
  rejectInvite(userId: string, roomId: string, servers: readonly string[], reason?: string): Promise<void>;
  knock(
    userId: string,
    roomId: string,
    servers: readonly string[],
    content: Record<string, unknown>,
  ): Promise<void>;
  /** Resolves an alias of another server (`GET /query/directory`). */
  queryAlias(alias: string): Promise<{ roomId: string; servers: string[] }>;
}

/** Tells guest accounts from full ones (the accounts service). */
export interface GuestAccounts {
  /** Whether `userId` is a local guest account. */
  isGuest(userId: string): Promise<boolean>;
}

/** What the room service needs. */
export interface RoomServiceDeps {
  readonly serverName: string;
  readonly defaultRoomVersion: string;
  readonly db: Database;
  readonly pipeline: EventPipeline;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly directory: DirectoryStore;
  readonly profiles: ProfileReader;
  /** Guest accounts, whom only rooms with `m.room.guest_access` `can_join` admit ("Guest Access"). */
  readonly guests?: GuestAccounts;
  /** Set when federation is enabled; without it, rooms and users of other servers are refused. */
  readonly federation?: RemoteMembership;
}

/** The body of `POST /createRoom`, validated. */
export interface CreateRoomRequest {
  readonly visibility?: "public" | "private";
  readonly room_alias_name?: string;
  readonly name?: string;
  readonly topic?: string;
  readonly invite?: readonly string[];
  readonly room_version?: string;
  readonly creation_content?: Record<string, unknown>;
  readonly initial_state?: ReadonlyArray<{
    type: string;
    state_key?: string;
    content: Record<string, unknown>;
  }>;
  readonly preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  readonly is_direct?: boolean;
  readonly power_level_content_override?: Record<string, unknown>;
}

/** A guest's join of a room that does not admit guests. */
function guestRefused(): MatrixError {
  return new MatrixError(
    "M_GUEST_ACCESS_FORBIDDEN",
    "Guests may not join this room: its m.room.guest_access is not can_join",
  );
}

const PRESETS = {
  private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  trusted_private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  public_chat: { join_rule: "public", history_visibility: "shared", guest_access: "forbidden" },
} as const;

/** The room service. */
export class RoomService {
  constructor(private readonly deps: RoomServiceDeps) {}

  /** `POST /createRoom` ("Creation"): returns the room ID (and alias, if one was made). */
  async createRoom(sender: string, req: CreateRoomRequest): Promise<{ roomId: string; alias?: string }> {
    const { deps } = this;
    const roomVersion = req.room_version ?? deps.defaultRoomVersion;
    if (!isKnownRoomVersion(roomVersion)) {
      throw new MatrixError("M_UNSUPPORTED_ROOM_VERSION", `Unsupported room version ${roomVersion}`);
    }
    const rules = roomVersionRules(roomVersion);
    let alias: string | undefined;
    if (req.room_alias_name !== undefined) {
      alias = `#${req.room_alias_name}:${deps.serverName}`;
      if (/[:\s#]/.test(req.room_alias_name) || req.room_alias_name === "" || !isValidRoomAlias(alias)) {
        throw new MatrixError("M_INVALID_PARAM", "Invalid room_alias_name");
      }
      if (await deps.directory.resolve(alias))
        throw new MatrixError("M_ROOM_IN_USE", "Room alias already taken");
    }
    for (const invitee of req.invite ?? []) {
      if (!isValidUserId(invitee, { historical: true }))
        throw new MatrixError("M_INVALID_PARAM", `Invalid user ID ${invitee}`);
    }
    const presetName = req.preset ?? (req.visibility === "public" ? "public_chat" : "private_chat");
    const preset = PRESETS[presetName];

    const createContent: Record<string, unknown> = { ...(req.creation_content ?? {}) };
    delete createContent.room_version;
    if (rules.auth.creators === "content-creator") createContent.creator = sender;
    else delete createContent.creator;
    const creators = new Set([sender]);
    if (
      rules.auth.creators === "create-sender-and-additional-infinite" &&
      Array.isArray(createContent.additional_creators)
    ) {
      for (const c of createContent.additional_creators) if (typeof c === "string") creators.add(c);
    }

    const users: Record<string, number> = {};
    // v12: creators have infinite power and must not be listed (auth rule 10.4).
    if (rules.auth.creators !== "create-sender-and-additional-infinite") users[sender] = 100;
    if (presetName === "trusted_private_chat") {
      for (const invitee of req.invite ?? []) if (!creators.has(invitee)) users[invitee] = 100;
    }
    const powerLevels: Record<string, unknown> = {
      users,
      users_default: 0,
      events: {
        "m.room.name": 50,
        "m.room.power_levels": 100,
        "m.room.history_visibility": 100,
        "m.room.canonical_alias": 50,
        "m.room.avatar": 50,
        "m.room.tombstone": 100,
        "m.room.server_acl": 100,
        "m.room.encryption": 100,
      },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: presetName === "public_chat" ? 50 : 0,
      ...(req.power_level_content_override ?? {}),
    };

    const profile = await this.#profile(sender);
    const initial: NewEvent[] = [
      { type: "m.room.member", sender, state_key: sender, content: { membership: "join", ...profile } },
      { type: "m.room.power_levels", sender, state_key: "", content: powerLevels },
    ];
    if (alias) initial.push({ type: "m.room.canonical_alias", sender, state_key: "", content: { alias } });
    const initialState = new Map<string, NewEvent>();
    const addState = (type: string, stateKey: string, content: Record<string, unknown>) =>
      initialState.set(stateMapKey(type, stateKey), { type, sender, state_key: stateKey, content });
    addState("m.room.join_rules", "", { join_rule: preset.join_rule });
    addState("m.room.history_visibility", "", { history_visibility: preset.history_visibility });
    addState("m.room.guest_access", "", { guest_access: preset.guest_access });
    for (const s of req.initial_state ?? []) {
      if (s.type === "m.room.create" || s.type === "m.room.member" || s.type === "m.room.power_levels") {
        throw new MatrixError("M_INVALID_PARAM", `initial_state may not contain ${s.type}`);
      }
      addState(s.type, s.state_key ?? "", s.content);
    }
    if (req.name !== undefined) addState("m.room.name", "", { name: req.name });
    if (req.topic !== undefined) {
      addState("m.room.topic", "", {
        topic: req.topic,
        "m.topic": [{ mimetype: "text/plain", body: req.topic }],
      });
    }
    initial.push(...initialState.values());
    // Local invitees are invited in the creation batch; other servers' users once the room exists,
    // through their server (`/v2/invite`).
    const remoteInvitees: string[] = [];
    for (const invitee of req.invite ?? []) {
      if (invitee === sender) continue;
      if (!this.#isLocal(invitee) && deps.federation) remoteInvitees.push(invitee);
      else initial.push(await this.#inviteEvent(sender, invitee, req.is_direct === true));
    }

    const { roomId } = await deps.pipeline.createRoom(roomVersion, sender, createContent, initial);
    for (const invitee of remoteInvitees) {
      await deps.federation!.inviteRemote(
        sender,
        roomId,
        invitee,
        req.is_direct === true ? { is_direct: true } : {},
      );
    }
    const extra = [
      ...(alias ? deps.directory.addAliasOps(alias, { roomId, creator: sender }) : []),
      ...(req.visibility === "public" ? deps.directory.visibilityOps(roomId, true) : []),
    ];
    if (extra.length > 0) await deps.db.write(extra);
    return alias ? { roomId, alias } : { roomId };
  }

  async #inviteEvent(sender: string, target: string, isDirect: boolean, reason?: string): Promise<NewEvent> {
    this.#requireLocal(target, "invite");
    const profile = await this.#profile(target);
    return {
      type: "m.room.member",
      sender,
      state_key: target,
      content: {
        membership: "invite",
        ...profile,
        ...(isDirect ? { is_direct: true } : {}),
        ...(reason !== undefined ? { reason } : {}),
      },
    };
  }

  #isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.deps.serverName}`);
  }

  #requireLocal(userId: string, what: string): void {
    if (!this.#isLocal(userId)) {
      throw new MatrixError(
        "M_FORBIDDEN",
        `Cannot ${what} users on other servers: federation is not enabled here`,
      );
    }
  }

  async #profile(userId: string): Promise<Record<string, string>> {
    const p = await this.deps.profiles.getProfile(userId);
    const out: Record<string, string> = {};
    if (typeof p?.displayname === "string") out.displayname = p.displayname;
    if (typeof p?.avatar_url === "string") out.avatar_url = p.avatar_url;
    return out;
  }

  /** Resolves a room ID or alias to a room ID known here. */
  async resolveRoom(roomIdOrAlias: string): Promise<string> {
    return (await this.#resolveWithServers(roomIdOrAlias)).roomId;
  }

  /** A room ID or alias → the room ID and the servers an alias's directory names. */
  async #resolveWithServers(roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
    if (roomIdOrAlias.startsWith("#")) {
      const record = await this.deps.directory.resolve(roomIdOrAlias);
      if (record) return { roomId: record.roomId, servers: [] };
      if (!this.#isLocal(roomIdOrAlias) && this.deps.federation)
        return this.deps.federation.queryAlias(roomIdOrAlias);
      throw new MatrixError("M_NOT_FOUND", "Room alias not found");
    }
    if (!roomIdOrAlias.startsWith("!")) throw new MatrixError("M_INVALID_PARAM", "Not a room ID or alias");
    return { roomId: roomIdOrAlias, servers: [] };
  }

  /** Whether this server holds the room's current state with a local member in it. */
  async #participating(roomId: string): Promise<boolean> {
    if (!(await this.deps.rooms.info(roomId))) return false;
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join" && this.#isLocal(userId)) return true;
    }
    return false;
  }

  /** Servers that may let us join a room: given ones, the inviter's, the room ID's, current members'. */
  async #joinServers(userId: string, roomId: string, given: readonly string[]): Promise<string[]> {
    const servers = [...given];
    const mine = await this.deps.rooms.membership(userId, roomId);
    if (mine) {
      const ev = await this.deps.events.get(mine.eventId);
      if (ev) servers.push(ev.pdu.sender.slice(ev.pdu.sender.indexOf(":") + 1));
    }
    const colon = roomId.indexOf(":");
    if (colon > 0) servers.push(roomId.slice(colon + 1));
    for (const [member, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join") servers.push(member.slice(member.indexOf(":") + 1));
    }
    return [...new Set(servers)].filter((s) => s !== this.deps.serverName);
  }

  async #requireRoom(roomId: string): Promise<void> {
    if (!(await this.deps.rooms.info(roomId))) throw new MatrixError("M_NOT_FOUND", "Unknown room");
  }

  /** `POST /join/{roomIdOrAlias}` and `/rooms/{roomId}/join`. */
  async join(
    userId: string,
    roomIdOrAlias: string,
    reason?: string,
    via: readonly string[] = [],
  ): Promise<string> {
    const { roomId, servers } = await this.#resolveWithServers(roomIdOrAlias);
    const guest = (await this.deps.guests?.isGuest(userId)) === true;
    if (this.deps.federation && !(await this.#participating(roomId))) {
      const content: Record<string, unknown> = { ...(await this.#profile(userId)) };
      if (reason !== undefined) content.reason = reason;
      const candidates = await this.#joinServers(userId, roomId, [...via, ...servers]);
      if (candidates.length > 0 || !(await this.deps.rooms.info(roomId))) {
        // A guest may join only where guests can: known from an invite's stripped state when it says,
        // else from the room's state once joined (and then the guest leaves again at once).
        if (guest && (await this.#invitedGuestAccess(userId, roomId)) === "forbidden") throw guestRefused();
        await this.deps.federation.join(userId, roomId, candidates, content);
        if (guest && !(await this.#guestsCanJoin(roomId))) {
          await this.#setMembership(userId, roomId, userId, "leave").catch(() => {});
          throw guestRefused();
        }
        return roomId;
      }
    }
    await this.#requireRoom(roomId);
    const current = await this.deps.rooms.membership(userId, roomId);
    if (current?.membership === "join") return roomId;
    if (guest && !(await this.#guestsCanJoin(roomId))) throw guestRefused();
    const content: Record<string, unknown> = { membership: "join", ...(await this.#profile(userId)) };
    if (reason !== undefined) content.reason = reason;
    const authoriser = await restrictedJoinAuthoriser(
      { serverName: this.deps.serverName, rooms: this.deps.rooms, events: this.deps.events },
      userId,
      roomId,
    );
    if (authoriser) content.join_authorised_via_users_server = authoriser;
    await this.deps.pipeline.send(roomId, [
      { type: "m.room.member", sender: userId, state_key: userId, content },
    ]);
    return roomId;
  }

  /** Whether the room's current `m.room.guest_access` is `can_join` (absent reads as `forbidden`). */
  async #guestsCanJoin(roomId: string): Promise<boolean> {
    const ev = await this.#stateEvent(roomId, "m.room.guest_access", "");
    return (ev?.pdu.content as { guest_access?: unknown } | undefined)?.guest_access === "can_join";
  }

  /**
   * `guest_access` as the stripped state of the user's invite to a room we hold no state for gives
   * it: `can_join`, `forbidden` (anything else, or an event without it), or undefined when the
   * invite carries no `m.room.guest_access` (or there is no invite).
   */
  async #invitedGuestAccess(userId: string, roomId: string): Promise<string | undefined> {
    const m = await this.deps.rooms.membership(userId, roomId);
    const invite = m?.membership === "invite" ? await this.deps.events.get(m.eventId) : undefined;
    const stripped = (invite?.pdu.unsigned as { invite_room_state?: unknown } | undefined)?.invite_room_state;
    if (!Array.isArray(stripped)) return undefined;
    const ev = stripped.find(
      (e): e is { content?: { guest_access?: unknown } } =>
        typeof e === "object" && e !== null && e.type === "m.room.guest_access" && e.state_key === "",
    );
    if (!ev) return undefined;
    return ev.content?.guest_access === "can_join" ? "can_join" : "forbidden";
  }

  /**
   * After `m.room.guest_access` changed: when guests can no longer join, every local guest who is in
   * the room or invited to it leaves ("Guest Access", "Server behaviour": "the server MUST set those
   * users' m.room.member state to leave"). Each guest leaves by its own event, so no power level is
   * needed, as Synapse does; the room's other servers handle their own guests.
   */
  async guestAccessChanged(roomId: string): Promise<void> {
    const guests = this.deps.guests;
    if (!guests || (await this.#guestsCanJoin(roomId))) return;
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (!this.#isLocal(userId) || (m.membership !== "join" && m.membership !== "invite")) continue;
      if (!(await guests.isGuest(userId))) continue;
      try {
        await this.#setMembership(userId, roomId, userId, "leave");
      } catch (e) {
        if (!(e instanceof MatrixError)) throw e;
      }
    }
  }

  /** `POST /knock/{roomIdOrAlias}` ("Knocking on rooms"): room versions 7+; the auth rules decide. */
  async knock(
    userId: string,
    roomIdOrAlias: string,
    reason?: string,
    via: readonly string[] = [],
  ): Promise<string> {
    const { roomId, servers } = await this.#resolveWithServers(roomIdOrAlias);
    if (this.deps.federation && !(await this.#participating(roomId))) {
      const content: Record<string, unknown> = { ...(await this.#profile(userId)) };
      if (reason !== undefined) content.reason = reason;
      await this.deps.federation.knock(
        userId,
        roomId,
        await this.#joinServers(userId, roomId, [...via, ...servers]),
        content,
      );
      return roomId;
    }
    await this.#requireRoom(roomId);
    const info = (await this.deps.rooms.info(roomId))!;
    if (!roomVersionRules(info.roomVersion).auth.knocking) {
      throw new MatrixError("M_FORBIDDEN", `Room version ${info.roomVersion} does not support knocking`);
    }
    const current = await this.deps.rooms.membership(userId, roomId);
    if (current?.membership === "join" || current?.membership === "invite") {
      throw new MatrixError(
        "M_FORBIDDEN",
        `You are already ${current.membership === "join" ? "in" : "invited to"} this room`,
      );
    }
    const content: Record<string, unknown> = { membership: "knock", ...(await this.#profile(userId)) };
    if (reason !== undefined) content.reason = reason;
    await this.deps.pipeline.send(roomId, [
      { type: "m.room.member", sender: userId, state_key: userId, content },
    ]);
    return roomId;
  }

  /** `POST /rooms/{roomId}/invite`. */
  async invite(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    await this.#requireRoom(roomId);
    if (!this.#isLocal(target) && this.deps.federation) {
      const current = await this.deps.rooms.membership(target, roomId);
      if (current?.membership === "ban")
        throw new MatrixError("M_FORBIDDEN", `${target} is banned from the room`);
      if (current?.membership === "join")
        throw new MatrixError("M_FORBIDDEN", `${target} is already in the room`);
      await this.deps.federation.inviteRemote(sender, roomId, target, reason !== undefined ? { reason } : {});
      return;
    }
    const current = await this.deps.rooms.membership(target, roomId);
    if (current?.membership === "ban")
      throw new MatrixError("M_FORBIDDEN", `${target} is banned from the room`);
    if (current?.membership === "join")
      throw new MatrixError("M_FORBIDDEN", `${target} is already in the room`);
    await this.deps.pipeline.send(roomId, [await this.#inviteEvent(sender, target, false, reason)]);
  }

  /** `POST /rooms/{roomId}/leave` (also rejects an invite or withdraws a knock). */
  async leave(userId: string, roomId: string, reason?: string): Promise<void> {
    const current = await this.deps.rooms.membership(userId, roomId);
    if (!(await this.deps.rooms.info(roomId)) && current?.membership === "invite" && this.deps.federation) {
      // An invite to a room we hold no state for: reject it through the inviting server.
      await this.deps.federation.rejectInvite(
        userId,
        roomId,
        await this.#joinServers(userId, roomId, []),
        reason,
      );
      return;
    }
    await this.#requireRoom(roomId);
    if (!current || current.membership === "leave") {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    }
    await this.#setMembership(userId, roomId, userId, "leave", reason);
  }

  /** `POST /rooms/{roomId}/kick`. */
  async kick(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    await this.#requireRoom(roomId);
    const current = await this.deps.rooms.membership(target, roomId);
    if (
      !current ||
      (current.membership !== "join" && current.membership !== "invite" && current.membership !== "knock")
    ) {
      throw new MatrixError("M_FORBIDDEN", `${target} is not in the room`);
    }
    await this.#setMembership(sender, roomId, target, "leave", reason);
  }

  /** `POST /rooms/{roomId}/ban`. */
  async ban(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    await this.#requireRoom(roomId);
    await this.#setMembership(sender, roomId, target, "ban", reason);
  }

  /** `POST /rooms/{roomId}/unban`. */
  async unban(sender: string, roomId: string, target: string, reason?: string): Promise<void> {
    await this.#requireRoom(roomId);
    const current = await this.deps.rooms.membership(target, roomId);
    if (current?.membership !== "ban") throw new MatrixError("M_FORBIDDEN", `${target} is not banned`);
    await this.#setMembership(sender, roomId, target, "leave", reason);
  }

  async #setMembership(sender: string, roomId: string, target: string, membership: string, reason?: string) {
    const content: Record<string, unknown> = { membership };
    if (reason !== undefined) content.reason = reason;
    await this.deps.pipeline.send(roomId, [{ type: "m.room.member", sender, state_key: target, content }]);
  }

  /** `POST /rooms/{roomId}/forget`: only once the user has left or been banned. */
  async forget(userId: string, roomId: string): Promise<void> {
    const current = await this.deps.rooms.membership(userId, roomId);
    if (!current) return;
    if (current.membership === "join" || current.membership === "invite" || current.membership === "knock") {
      throw new MatrixError("M_UNKNOWN", "You must leave the room before forgetting it", {}, 400);
    }
    await this.deps.db.write(this.deps.rooms.forgetOps(userId, roomId));
  }

  /**
   * Sends a message-like event (`PUT /rooms/{roomId}/send/{eventType}/{txnId}`); idempotent per device
   * and transaction ID. Without a transaction ID (the legacy `POST`, `specs/legacy.md`) every call
   * sends a new event.
   */
  async sendEvent(
    sender: string,
    deviceId: string,
    roomId: string,
    type: string,
    txnId: string | undefined,
    content: Record<string, unknown>,
  ): Promise<string> {
    await this.#requireRoom(roomId);
    if (type === "m.room.redaction") {
      const redacts = content.redacts;
      if (typeof redacts !== "string")
        throw new MatrixError("M_BAD_JSON", "m.room.redaction needs content.redacts");
      return this.redact(sender, deviceId, roomId, redacts, txnId, content);
    }
    const txn = txnId === undefined ? {} : { txn: { deviceId, txnId } };
    const [ev] = await this.deps.pipeline.send(roomId, [{ type, sender, content, ...txn }]);
    return ev!.eventId;
  }

  /** `PUT /rooms/{roomId}/state/{eventType}/{stateKey}`. */
  async setState(
    sender: string,
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    await this.#requireRoom(roomId);
    if (type === "m.room.member") {
      const membership = content.membership;
      if (typeof membership !== "string") throw new MatrixError("M_BAD_JSON", "membership is required");
    }
    if (type === "m.room.canonical_alias") await this.#checkCanonicalAlias(roomId, content);
    // An unchanged state event is not sent again (Synapse does the same); its ID is returned.
    const existing = await this.#stateEvent(roomId, type, stateKey);
    if (
      existing &&
      existing.pdu.sender === sender &&
      JSON.stringify(existing.pdu.content) === JSON.stringify(content) &&
      type !== "m.room.member"
    ) {
      return existing.eventId;
    }
    const [ev] = await this.deps.pipeline.send(roomId, [{ type, sender, state_key: stateKey, content }]);
    return ev!.eventId;
  }

  async #checkCanonicalAlias(roomId: string, content: Record<string, unknown>): Promise<void> {
    const aliases = [
      content.alias,
      ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : []),
    ].filter((a) => a !== undefined && a !== null);
    for (const a of aliases) {
      if (typeof a !== "string" || !isValidRoomAlias(a))
        throw new MatrixError("M_BAD_ALIAS", `Invalid alias ${a}`);
      if (a.endsWith(`:${this.deps.serverName}`)) {
        const record = await this.deps.directory.resolve(a);
        if (record?.roomId !== roomId)
          throw new MatrixError("M_BAD_ALIAS", `${a} does not point to this room`);
      }
    }
  }

  /**
   * `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`. A user may redact their own events; others'
   * need the redact power level ("Redactions"; Synapse refuses such requests the same way). Without a
   * transaction ID (the legacy `POST`) every call sends a new redaction.
   */
  async redact(
    sender: string,
    deviceId: string,
    roomId: string,
    eventId: string,
    txnId: string | undefined,
    content: Record<string, unknown> = {},
  ): Promise<string> {
    await this.#requireRoom(roomId);
    const target = await this.deps.events.get(eventId);
    if (target && target.roomId === roomId && target.pdu.sender !== sender) {
      const info = (await this.deps.rooms.info(roomId))!;
      const pl = await this.#stateEvent(roomId, "m.room.power_levels", "");
      const create = await this.#stateEvent(roomId, "m.room.create", "");
      const level = userPowerLevel(sender, pl?.pdu, create!.pdu, info.roomVersion);
      if (level < namedPowerLevel("redact", pl?.pdu, info.roomVersion)) {
        throw new MatrixError("M_FORBIDDEN", "You may not redact other users' events");
      }
    }
    const { redacts: _r, ...rest } = content;
    const [ev] = await this.deps.pipeline.send(roomId, [
      {
        type: "m.room.redaction",
        sender,
        content: rest,
        redacts: eventId,
        ...(txnId === undefined ? {} : { txn: { deviceId, txnId } }),
      },
    ]);
    return ev!.eventId;
  }

  /**
   * `POST /rooms/{roomId}/upgrade` ("Room Upgrades", server behaviour): checks the user may send
   * `m.room.tombstone`; creates the replacement room with `predecessor` (and the old room's `type`);
   * replicates the transferable state; moves local aliases and directory visibility; sends the
   * tombstone; restricts the old room's power levels. Returns the new room's ID.
   */
  async upgrade(
    userId: string,
    roomId: string,
    newVersion: string,
    additionalCreators?: string[],
  ): Promise<string> {
    const { deps } = this;
    if (!isKnownRoomVersion(newVersion)) {
      throw new MatrixError("M_UNSUPPORTED_ROOM_VERSION", `Unsupported room version ${newVersion}`);
    }
    const info = await deps.rooms.info(roomId);
    if (!info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    if ((await deps.rooms.membership(userId, roomId))?.membership !== "join") {
      throw new MatrixError("M_FORBIDDEN", "You are not in this room");
    }
    const create = (await this.#stateEvent(roomId, "m.room.create", ""))!;
    const pl = await this.#stateEvent(roomId, "m.room.power_levels", "");
    const level = userPowerLevel(userId, pl?.pdu, create.pdu, info.roomVersion);
    if (level < requiredPowerLevel("m.room.tombstone", "", pl?.pdu, info.roomVersion)) {
      throw new MatrixError("M_FORBIDDEN", "You may not upgrade this room");
    }
    const newRules = roomVersionRules(newVersion);
    const last = await deps.events.latestInRoom(roomId);
    const createContent: Record<string, unknown> = {
      predecessor: { room_id: roomId, event_id: last?.eventId },
    };
    const roomType = (create.pdu.content as { type?: unknown }).type;
    if (typeof roomType === "string") createContent.type = roomType;
    const creators = new Set([userId]);
    if (newRules.auth.creators === "create-sender-and-additional-infinite" && additionalCreators?.length) {
      createContent.additional_creators = additionalCreators;
      for (const c of additionalCreators) creators.add(c);
    }
    if (newRules.auth.creators === "content-creator") createContent.creator = userId;

    // Power levels: the old room's, without the new room's creators in v12 (they have infinite
    // power and may not be listed); the upgrading user keeps enough power to send the copied state.
    const oldPl = { ...((pl?.pdu.content as Record<string, unknown>) ?? {}) };
    const users = { ...((oldPl.users as Record<string, number> | undefined) ?? {}) };
    const infinite = newRules.auth.creators === "create-sender-and-additional-infinite";
    if (infinite) for (const c of creators) delete users[c];
    else users[userId] = Math.max(typeof users[userId] === "number" ? users[userId] : 0, 100);
    const newPl = { ...oldPl, users };

    const profile = await this.#profile(userId);
    const initial: NewEvent[] = [
      {
        type: "m.room.member",
        sender: userId,
        state_key: userId,
        content: { membership: "join", ...profile },
      },
      { type: "m.room.power_levels", sender: userId, state_key: "", content: newPl },
    ];
    const TRANSFERABLE = [
      "m.room.server_acl",
      "m.room.encryption",
      "m.room.name",
      "m.room.avatar",
      "m.room.topic",
      "m.room.guest_access",
      "m.room.history_visibility",
      "m.room.join_rules",
      "m.room.canonical_alias",
    ];
    for (const type of TRANSFERABLE) {
      const ev = await this.#stateEvent(roomId, type, "");
      if (ev)
        initial.push({
          type,
          sender: userId,
          state_key: "",
          content: ev.pdu.content as Record<string, unknown>,
        });
    }
    const { roomId: newRoomId } = await deps.pipeline.createRoom(newVersion, userId, createContent, initial);

    const aliases = await deps.directory.aliasesOf(roomId);
    const moves = [];
    for (const alias of aliases) {
      const record = await deps.directory.resolve(alias);
      moves.push(...deps.directory.removeAliasOps(alias, roomId));
      moves.push(
        ...deps.directory.addAliasOps(alias, { roomId: newRoomId, creator: record?.creator ?? userId }),
      );
    }
    if (await deps.directory.isPublic(roomId)) {
      moves.push(
        ...deps.directory.visibilityOps(roomId, false),
        ...deps.directory.visibilityOps(newRoomId, true),
      );
    }
    if (moves.length > 0) await deps.db.write(moves);

    const usersDefault = typeof oldPl.users_default === "number" ? oldPl.users_default : 0;
    const restricted = Math.max(50, usersDefault + 1);
    const tombstone: NewEvent = {
      type: "m.room.tombstone",
      sender: userId,
      state_key: "",
      content: { body: "This room has been replaced", replacement_room: newRoomId },
    };
    await deps.pipeline.send(roomId, [tombstone]);
    if (pl) {
      try {
        await deps.pipeline.send(roomId, [
          {
            type: "m.room.power_levels",
            sender: userId,
            state_key: "",
            content: { ...oldPl, events_default: restricted, invite: restricted },
          },
        ]);
      } catch (e) {
        // "If possible": a user who may send the tombstone but not power levels leaves them as they are.
        if (!(e instanceof MatrixError)) throw e;
      }
    }
    return newRoomId;
  }

  /** The current state event of `(type, stateKey)` in a room. */
  async #stateEvent(roomId: string, type: string, stateKey: string): Promise<StoredEvent | undefined> {
    return currentStateEvent(this.deps, roomId, type, stateKey);
  }

  /** `GET /joined_rooms`. */
  async joinedRooms(userId: string): Promise<string[]> {
    const rooms = await this.deps.rooms.roomsOfUser(userId);
    return [...rooms].filter(([, m]) => m.membership === "join").map(([id]) => id);
  }

  /** Leaves every room the user is in or invited to (account deactivation). */
  async leaveAll(userId: string): Promise<void> {
    for (const [roomId, m] of await this.deps.rooms.roomsOfUser(userId)) {
      if (m.membership === "join" || m.membership === "invite" || m.membership === "knock") {
        try {
          await this.#setMembership(userId, roomId, userId, "leave");
        } catch (e) {
          if (!(e instanceof MatrixError)) throw e;
        }
      }
    }
  }

  /** Updates the user's member event in every joined room after a profile change. */
  async profileChanged(userId: string, profile: Profile): Promise<void> {
    for (const [roomId, m] of await this.deps.rooms.roomsOfUser(userId)) {
      if (m.membership !== "join") continue;
      const current = await this.deps.events.get(m.eventId);
      const content: Record<string, unknown> = {
        ...((current?.pdu.content as Record<string, unknown>) ?? {}),
      };
      for (const key of ["displayname", "avatar_url"] as const) {
        if (profile[key] === undefined) continue;
        if (profile[key] === null) delete content[key];
        else content[key] = profile[key];
      }
      content.membership = "join";
      delete content.reason;
      try {
        await this.deps.pipeline.send(roomId, [
          { type: "m.room.member", sender: userId, state_key: userId, content },
        ]);
      } catch (e) {
        if (!(e instanceof MatrixError)) throw e;
      }
    }
  }
}

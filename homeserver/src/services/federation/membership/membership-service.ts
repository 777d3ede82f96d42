/**
 * Membership across servers (Server-Server API, "Joining Rooms", "Inviting to a room", "Leaving Rooms
 * (Rejecting Invites)"): both sides of `make_join`/`send_join` (v2), `invite` (v2) and
 * `make_leave`/`send_leave` (v2).
 */
import { randomBytes } from "node:crypto";
import {
  authEventIds,
  computeEventId,
  type FederationClient,
  FederationRequestError,
  isKnownRoomVersion,
  MatrixError,
  type Pdu,
  ROOM_VERSIONS,
  roomVersionRules,
  type SigningKey,
  signEvent,
  stateMapKey,
} from "@hearth/federation";
import type { Logger } from "pino";
import type { EventStore, StoredEvent } from "../../../storage/events.js";
import type { RoomStore } from "../../../storage/rooms.js";
import type { StateGroupStore } from "../../../storage/state.js";
import type { EventPipeline } from "../../events/pipeline.js";
import { restrictedJoinAuthoriser } from "../../rooms/restricted-join.js";
import type { InboundService } from "../inbound/inbound-service.js";

/** What the membership service needs. */
export interface FederatedMembershipDeps {
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly pipeline: EventPipeline;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly stateGroups: StateGroupStore;
  readonly client: FederationClient;
  readonly inbound: InboundService;
  readonly logger: Logger;
  /** Whether a local user exists (an invite for an unknown user is refused). */
  readonly userExists: (userId: string) => Promise<boolean>;
  /** Sends events we accepted on behalf of a joining server to the room's other servers. */
  readonly relay?: (roomId: string, events: readonly StoredEvent[], except: string) => void;
}

const ALL_VERSIONS = [...ROOM_VERSIONS.keys()];

function domainOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

/** The event as sent over federation: the stored JSON (v3+ events do not carry `event_id`). */
export function federationFormat(ev: StoredEvent): Record<string, unknown> {
  const pdu = JSON.parse(ev.json) as Record<string, unknown>;
  delete pdu.unsigned;
  return pdu;
}

/** Joins, invites and leaves across servers. */
export class FederatedMembership {
  constructor(private readonly deps: FederatedMembershipDeps) {}

  // -------------------------------------------------------------------------------------------
  // Outbound: our users joining and leaving rooms held by other servers.
  // -------------------------------------------------------------------------------------------

  /**
   * Joins `userId` to a room through one of `servers`: `make_join`, sign, `send_join`; the returned
   * state and auth chain are verified (format, signatures, hashes, auth rules) before the room counts
   * as joined. Tries the servers in order until one succeeds.
   */
  async join(
    userId: string,
    roomId: string,
    servers: readonly string[],
    content: Record<string, unknown>,
  ): Promise<void> {
    await this.#throughServers(servers, "join the room", (server) =>
      this.#joinVia(server, userId, roomId, content),
    );
  }

  /** Runs `attempt` with each server in turn until one succeeds; the last failure otherwise. */
  async #throughServers(
    servers: readonly string[],
    what: string,
    attempt: (server: string) => Promise<void>,
  ): Promise<void> {
    const candidates = [...new Set(servers)].filter((s) => s !== this.deps.serverName);
    if (candidates.length === 0) throw new MatrixError("M_NOT_FOUND", `No server to ${what} through`);
    let lastError: unknown;
    // A resident's refusal says more than another server's silence: it is what the client sees.
    let refusal: MatrixError | undefined;
    for (const server of candidates) {
      try {
        await attempt(server);
        return;
      } catch (e) {
        lastError = e;
        refusal ??= relayedRefusal(e, server, what);
        this.deps.logger.info({ server, err: (e as Error).message }, `could not ${what} through a server`);
      }
    }
    if (refusal) throw refusal;
    if (lastError instanceof MatrixError) throw lastError;
    throw new MatrixError(
      "M_UNKNOWN",
      `Could not ${what}: ${(lastError as Error)?.message ?? "no server answered"}`,
      {},
      502,
    );
  }

  /**
   * The membership handshake with a resident server ("Joining Rooms", "Leaving Rooms", "Knocking upon
   * a room"): `make_{kind}` gives a template, which we fill in and sign; `send_{kind}` delivers it.
   * Returns the signed event and the resident's answer.
   */
  async #handshake(
    server: string,
    kind: "join" | "leave" | "knock",
    roomId: string,
    userId: string,
    content: Record<string, unknown>,
  ): Promise<{ signed: Pdu; eventId: string; roomVersion: string; answer: Record<string, unknown> }> {
    const { client, serverName, signingKey } = this.deps;
    const room = encodeURIComponent(roomId);
    const made = (
      await client.request(
        server,
        "GET",
        `/_matrix/federation/v1/make_${kind}/${room}/${encodeURIComponent(userId)}`,
        kind === "leave" ? {} : { query: { ver: ALL_VERSIONS } },
      )
    ).json as { event?: Record<string, unknown>; room_version?: unknown };
    const roomVersion = typeof made.room_version === "string" ? made.room_version : "1";
    if (!isKnownRoomVersion(roomVersion))
      throw new MatrixError("M_UNSUPPORTED_ROOM_VERSION", "Unsupported room version");
    const template = made.event;
    if (template?.type !== "m.room.member" || template.state_key !== userId || template.sender !== userId) {
      throw new MatrixError("M_BAD_JSON", `make_${kind} returned an unusable event`);
    }
    const event: Record<string, unknown> = {
      ...template,
      room_id: roomId,
      content: { ...((template.content as Record<string, unknown>) ?? {}), ...content, membership: kind },
    };
    delete event.hashes;
    delete event.signatures;
    delete event.unsigned;
    if (roomVersionRules(roomVersion).eventIdFormat === "server-assigned") {
      event.event_id = `$${randomBytes(18).toString("base64url")}:${serverName}`;
    } else delete event.event_id;
    const signed = signEvent(event, serverName, signingKey, roomVersion) as unknown as Pdu;
    const eventId = computeEventId(signed, roomVersion);
    // send_join and send_leave are v2, with v1 (answering in a legacy `[200, {…}]` array) for servers
    // that do not serve v2; send_knock has only v1.
    const path = (version: string) =>
      `/_matrix/federation/${version}/send_${kind}/${room}/${encodeURIComponent(eventId)}`;
    let answer: unknown;
    if (kind === "knock") answer = (await client.request(server, "PUT", path("v1"), { body: signed })).json;
    else {
      try {
        answer = (await client.request(server, "PUT", path("v2"), { body: signed })).json;
      } catch (e) {
        if (!isUnrecognized(e)) throw e;
        answer = legacyAnswer((await client.request(server, "PUT", path("v1"), { body: signed })).json);
      }
    }
    return {
      signed,
      eventId,
      roomVersion,
      answer: typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {},
    };
  }

  async #joinVia(
    server: string,
    userId: string,
    roomId: string,
    content: Record<string, unknown>,
  ): Promise<void> {
    const { pipeline, inbound } = this.deps;
    const { signed, eventId, roomVersion, answer } = await this.#handshake(
      server,
      "join",
      roomId,
      userId,
      content,
    );
    const state = Array.isArray(answer.state) ? (answer.state as Pdu[]) : [];
    const authChain = Array.isArray(answer.auth_chain) ? (answer.auth_chain as Pdu[]) : [];
    // A restricted join comes back signed by the authorising server too.
    const joinEvent = (answer.event && typeof answer.event === "object" ? answer.event : signed) as Pdu;
    if (computeEventId(joinEvent, roomVersion) !== eventId)
      throw new MatrixError("M_BAD_JSON", "send_join changed our event");

    await pipeline.inRoom(roomId, async () => {
      await inbound.persistOutliers(roomId, roomVersion, [...authChain, ...state]);
      const stateIds = state.map((p) => {
        try {
          return computeEventId(p, roomVersion);
        } catch {
          return undefined;
        }
      });
      const stateBefore = new Map<string, string>();
      for (const ev of await this.deps.events.getMany(stateIds.filter((x): x is string => !!x))) {
        if (ev && !ev.rejected && typeof ev.pdu.state_key === "string") {
          stateBefore.set(stateMapKey(ev.pdu.type, ev.pdu.state_key), ev.eventId);
        }
      }
      if (!stateBefore.has(stateMapKey("m.room.create", ""))) {
        throw new MatrixError("M_BAD_JSON", "send_join's state has no valid create event");
      }
      const result = await pipeline.persistRemote(
        roomId,
        roomVersion,
        await inbound.verify(joinEvent, roomVersion),
        {
          stateBefore,
        },
      );
      this.deps.logger.info(
        { roomId, server, outcome: result.outcome, reason: result.reason },
        "joined over federation",
      );
      if (result.outcome === "rejected" || result.outcome === "soft-failed") {
        throw new MatrixError(
          "M_FORBIDDEN",
          `The join does not pass the room's rules: ${result.reason ?? result.outcome}`,
        );
      }
    });
  }

  /**
   * Knocks on a room held by other servers ("Knocking upon a room"): `make_knock`, sign, `send_knock`;
   * the knock is kept with the room's stripped state so `/sync` shows it under `rooms.knock`.
   */
  async knock(
    userId: string,
    roomId: string,
    servers: readonly string[],
    content: Record<string, unknown>,
  ): Promise<void> {
    await this.#throughServers(servers, "knock", async (server) => {
      const { signed, roomVersion, answer } = await this.#handshake(server, "knock", roomId, userId, content);
      // `knock_state_events` is the name older Synapse releases (1.67 among them) answer with.
      const sent = answer.knock_room_state ?? answer.knock_state_events;
      const state = Array.isArray(sent) ? sent : [];
      await this.deps.pipeline.persistOutOfBand(roomId, roomVersion, {
        ...signed,
        unsigned: { knock_room_state: state },
      } as Pdu);
    });
  }

  /** Resolves an alias of another server through its directory (`GET /query/directory`). */
  async queryAlias(alias: string): Promise<{ roomId: string; servers: string[] }> {
    const server = domainOf(alias);
    let res: { room_id?: unknown; servers?: unknown };
    try {
      res = (
        await this.deps.client.request(server, "GET", "/_matrix/federation/v1/query/directory", {
          query: { room_alias: alias },
        })
      ).json as { room_id?: unknown; servers?: unknown };
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 404) throw new MatrixError("M_NOT_FOUND", `Room alias ${alias} not found`);
      throw new MatrixError(
        "M_UNKNOWN",
        `Could not resolve ${alias} on ${server}: ${(e as Error).message}`,
        {},
        502,
      );
    }
    if (typeof res.room_id !== "string")
      throw new MatrixError("M_NOT_FOUND", `Room alias ${alias} not found`);
    const servers = Array.isArray(res.servers)
      ? res.servers.filter((x): x is string => typeof x === "string")
      : [];
    return { roomId: res.room_id, servers: [server, ...servers.filter((x) => x !== server)] };
  }

  /** A user's profile from their server (`GET /query/profile`); undefined when there is none. */
  async queryProfile(userId: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.deps.client.request(
        domainOf(userId),
        "GET",
        "/_matrix/federation/v1/query/profile",
        {
          query: { user_id: userId },
        },
      );
      const body = res.json;
      return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : undefined;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw new MatrixError(
        "M_UNKNOWN",
        `Could not reach ${domainOf(userId)}: ${(e as Error).message}`,
        {},
        502,
      );
    }
  }

  /** Rejects an invite to a room we hold no state for: `make_leave`/`send_leave` via the inviting server. */
  async rejectInvite(
    userId: string,
    roomId: string,
    servers: readonly string[],
    reason?: string,
  ): Promise<void> {
    const content = reason !== undefined ? { reason } : {};
    try {
      await this.#throughServers(servers, "reject the invite", async (server) => {
        const { signed, roomVersion } = await this.#handshake(server, "leave", roomId, userId, content);
        await this.deps.pipeline.persistOutOfBand(roomId, roomVersion, signed);
      });
    } catch (e) {
      // No resident would take the rejection (gone, unreachable, refusing): the user still gets rid of
      // the invite. The spec is silent; Synapse does the same. The inviter is not told.
      if (!(await this.#rejectLocally(userId, roomId, content))) throw e;
      this.deps.logger.info({ roomId, userId, err: (e as Error).message }, "rejected an invite locally");
    }
  }

  /**
   * Stores a leave of our own making after the invite (its only prev and auth event), out of band:
   * it never federates, it only ends the invite here. False when the user holds no invite.
   */
  async #rejectLocally(userId: string, roomId: string, content: Record<string, unknown>): Promise<boolean> {
    const { rooms, events, serverName, signingKey } = this.deps;
    const m = await rooms.membership(userId, roomId);
    const invite = m?.membership === "invite" ? await events.get(m.eventId) : undefined;
    if (!invite) return false;
    const roomVersion = inviteRoomVersion(invite.pdu);
    const serverAssigned = roomVersionRules(roomVersion).eventIdFormat === "server-assigned";
    const ref = (id: string) => (serverAssigned ? [id, {}] : id);
    const event: Record<string, unknown> = {
      type: "m.room.member",
      room_id: roomId,
      sender: userId,
      state_key: userId,
      content: { ...content, membership: "leave" },
      origin_server_ts: Date.now(),
      depth: (invite.pdu.depth ?? 0) + 1,
      prev_events: [ref(invite.eventId)],
      auth_events: [ref(invite.eventId)],
      ...(serverAssigned ? { event_id: `$${randomBytes(18).toString("base64url")}:${serverName}` } : {}),
    };
    const signed = signEvent(event, serverName, signingKey, roomVersion) as unknown as Pdu;
    await this.deps.pipeline.persistOutOfBand(roomId, roomVersion, signed);
    return true;
  }

  /**
   * Invites a user of another server to a room we are in: builds and signs the invite, has the
   * invitee's server co-sign it (`PUT /v2/invite`), then persists and sends it like any event.
   */
  async inviteRemote(
    sender: string,
    roomId: string,
    target: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    const { pipeline, client, serverName, signingKey } = this.deps;
    const info = await this.deps.rooms.info(roomId);
    if (!info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    const { event, roomVersion } = await pipeline.template(roomId, {
      type: "m.room.member",
      sender,
      state_key: target,
      content: { ...content, membership: "invite" },
    });
    if (roomVersionRules(roomVersion).eventIdFormat === "server-assigned") {
      event.event_id = `$${randomBytes(18).toString("base64url")}:${serverName}`;
    }
    const signed = signEvent(event, serverName, signingKey, roomVersion) as unknown as Pdu;
    const refusal = await pipeline.authAgainstCurrent(roomId, signed, roomVersion);
    if (refusal) throw new MatrixError("M_FORBIDDEN", `Not allowed: ${refusal}`);
    const eventId = computeEventId(signed, roomVersion);
    const invitePath = (version: string) =>
      `/_matrix/federation/${version}/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`;
    const inviteRoomState = await this.strippedState(roomId);
    let res: { event?: unknown };
    try {
      res = (
        await client.request(domainOf(target), "PUT", invitePath("v2"), {
          body: { event: signed, room_version: roomVersion, invite_room_state: inviteRoomState },
        })
      ).json as { event?: unknown };
    } catch (e) {
      // v1 (room versions 1 and 2, older servers): the event itself is the body, the stripped state
      // rides in its `unsigned`, and the answer is the legacy `[200, {event}]` array.
      if (!isUnrecognized(e) || !V1_INVITE_ROOM_VERSIONS.has(roomVersion)) throw e;
      res = legacyAnswer(
        (
          await client.request(domainOf(target), "PUT", invitePath("v1"), {
            body: { ...signed, unsigned: { ...(signed.unsigned ?? {}), invite_room_state: inviteRoomState } },
          })
        ).json,
      ) as { event?: unknown };
    }
    const cosigned = res.event as Pdu | undefined;
    if (!cosigned || computeEventId(cosigned, roomVersion) !== eventId) {
      throw new MatrixError("M_UNKNOWN", "The invitee's server returned a different event", {}, 502);
    }
    const verified = await this.deps.inbound.verify(cosigned, roomVersion);
    const result = await pipeline.inRoom(roomId, () => pipeline.persistRemote(roomId, roomVersion, verified));
    if (result.outcome !== "accepted" && result.outcome !== "duplicate") {
      throw new MatrixError("M_FORBIDDEN", `The invite was not accepted: ${result.reason ?? result.outcome}`);
    }
    return eventId;
  }

  /**
   * The stripped state an invitee sees ("Stripped state"): the spec's list, plus
   * `m.room.guest_access` ("The server might include events not described here"), by which the
   * invitee's server can refuse a guest's join before making it.
   */
  async strippedState(roomId: string): Promise<Array<Record<string, unknown>>> {
    const current = await this.deps.rooms.currentState(roomId);
    const types = [
      "m.room.create",
      "m.room.join_rules",
      "m.room.name",
      "m.room.avatar",
      "m.room.canonical_alias",
      "m.room.encryption",
      "m.room.topic",
      "m.room.guest_access",
    ];
    const ids = types.map((t) => current.get(stateMapKey(t, ""))).filter((x): x is string => !!x);
    return (await this.deps.events.getMany(ids))
      .filter((e): e is StoredEvent => !!e)
      .map((e) => ({
        type: e.pdu.type,
        state_key: e.pdu.state_key ?? "",
        content: e.pdu.content,
        sender: e.pdu.sender,
      }));
  }

  // -------------------------------------------------------------------------------------------
  // Inbound: other servers' users joining and leaving our rooms, and invites to our users.
  // -------------------------------------------------------------------------------------------

  async #requireRoomVersion(roomId: string, versions: readonly string[] | undefined): Promise<string> {
    const info = await this.deps.rooms.info(roomId);
    if (!info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    const supported = versions && versions.length > 0 ? versions : ["1"];
    if (!supported.includes(info.roomVersion)) {
      throw new MatrixError(
        "M_INCOMPATIBLE_ROOM_VERSION",
        "Your server does not support this room's version",
        {
          room_version: info.roomVersion,
        },
      );
    }
    return info.roomVersion;
  }

  /**
   * Why the auth rules would refuse a `make_*` template against the room's current state, if they
   * would. The template is checked as a signed event; in room versions 1 and 2 it also needs an
   * `event_id`, which the joining server assigns later, so the probe gets a throwaway one.
   */
  async #refusalOfTemplate(
    roomId: string,
    template: Record<string, unknown>,
    roomVersion: string,
  ): Promise<string | undefined> {
    const event =
      roomVersionRules(roomVersion).eventIdFormat === "server-assigned"
        ? { ...template, event_id: `$probe:${this.deps.serverName}` }
        : template;
    const probe = signEvent(event, this.deps.serverName, this.deps.signingKey, roomVersion) as unknown as Pdu;
    return this.deps.pipeline.authAgainstCurrent(roomId, probe, roomVersion);
  }

  /** `GET /make_join/{roomId}/{userId}`: a join template, refused early when the rules forbid it. */
  async makeJoin(origin: string, roomId: string, userId: string, versions: readonly string[]) {
    if (domainOf(userId) !== origin)
      throw new MatrixError("M_FORBIDDEN", "The user is not on the requesting server");
    const roomVersion = await this.#requireRoomVersion(roomId, versions);
    const content: Record<string, unknown> = { membership: "join" };
    const authoriser = await restrictedJoinAuthoriser(this.deps, userId, roomId);
    if (authoriser) content.join_authorised_via_users_server = authoriser;
    const { event } = await this.deps.pipeline.template(roomId, {
      type: "m.room.member",
      sender: userId,
      state_key: userId,
      content,
    });
    const refusal = await this.#refusalOfTemplate(roomId, event, roomVersion);
    if (refusal) throw new MatrixError("M_FORBIDDEN", `You are not allowed to join this room (${refusal})`);
    return { event, room_version: roomVersion };
  }

  /** `GET /make_leave/{roomId}/{userId}`. */
  async makeLeave(origin: string, roomId: string, userId: string) {
    if (domainOf(userId) !== origin)
      throw new MatrixError("M_FORBIDDEN", "The user is not on the requesting server");
    const { event, roomVersion } = await this.deps.pipeline.template(roomId, {
      type: "m.room.member",
      sender: userId,
      state_key: userId,
      content: { membership: "leave" },
    });
    return { event, room_version: roomVersion };
  }

  /** Checks a membership event sent to us by `origin` for its own user, and persists it. */
  async #acceptMembership(
    origin: string,
    roomId: string,
    eventId: string,
    body: Record<string, unknown>,
    membership: string,
  ) {
    const info = await this.deps.rooms.info(roomId);
    if (!info) throw new MatrixError("M_NOT_FOUND", "Unknown room");
    const pdu = body as unknown as Pdu;
    const content = (pdu.content ?? {}) as Record<string, unknown>;
    if (
      pdu.type !== "m.room.member" ||
      content.membership !== membership ||
      typeof pdu.sender !== "string" ||
      pdu.state_key !== pdu.sender ||
      domainOf(pdu.sender) !== origin ||
      pdu.room_id !== roomId
    ) {
      throw new MatrixError("M_BAD_JSON", `Not a ${membership} of a user of ${origin} in this room`);
    }
    let id: string;
    try {
      id = computeEventId(pdu, info.roomVersion);
    } catch {
      throw new MatrixError("M_BAD_JSON", "Invalid event");
    }
    if (id !== eventId) throw new MatrixError("M_BAD_JSON", "The event ID does not match the event");
    // Restricted joins: the server of `join_authorised_via_users_server` (us) signs too, before the
    // signature check, which requires that server's signature ("Signing events", v8+); the auth
    // rules then check that the named user may invite.
    const authorisedHere =
      membership === "join" &&
      typeof content.join_authorised_via_users_server === "string" &&
      domainOf(content.join_authorised_via_users_server) === this.deps.serverName;
    const toVerify = authorisedHere
      ? (signEvent(pdu, this.deps.serverName, this.deps.signingKey, info.roomVersion) as unknown as Pdu)
      : pdu;
    let verified: Pdu;
    try {
      verified = await this.deps.inbound.verify(toVerify, info.roomVersion);
    } catch (e) {
      throw new MatrixError("M_FORBIDDEN", (e as Error).message);
    }
    const result = await this.deps.pipeline.inRoom(roomId, () =>
      this.deps.pipeline.persistRemote(roomId, info.roomVersion, verified),
    );
    if (result.outcome === "rejected" || result.outcome === "soft-failed") {
      throw new MatrixError("M_FORBIDDEN", `Not allowed: ${result.reason ?? result.outcome}`);
    }
    const stored = (await this.deps.events.get(eventId))!;
    if (result.outcome === "accepted") this.deps.relay?.(roomId, [stored], origin);
    return { stored, roomVersion: info.roomVersion };
  }

  /** `PUT /v2/send_join/{roomId}/{eventId}`: the state before the join and its auth chain. */
  async sendJoin(origin: string, roomId: string, eventId: string, body: Record<string, unknown>) {
    const { stored } = await this.#acceptMembership(origin, roomId, eventId, body, "join");
    const stateIds =
      stored.stateGroupBefore >= 0
        ? [...(await this.deps.stateGroups.state(stored.stateGroupBefore)).values()]
        : [];
    const state = (await this.deps.events.getMany(stateIds)).filter((e): e is StoredEvent => !!e);
    const chain = await this.#authChain([...state, stored]);
    const servers = new Set<string>([this.deps.serverName]);
    for (const [userId, m] of await this.deps.rooms.membersOfRoom(roomId)) {
      if (m.membership === "join") servers.add(domainOf(userId));
    }
    return {
      origin: this.deps.serverName,
      state: state.map(federationFormat),
      auth_chain: chain.map(federationFormat),
      event: federationFormat(stored),
      members_omitted: false,
      servers_in_room: [...servers],
    };
  }

  /** `GET /make_knock/{roomId}/{userId}`: a knock template, for room versions with knocking. */
  async makeKnock(origin: string, roomId: string, userId: string, versions: readonly string[]) {
    if (domainOf(userId) !== origin)
      throw new MatrixError("M_FORBIDDEN", "The user is not on the requesting server");
    const roomVersion = await this.#requireRoomVersion(roomId, versions);
    if (!roomVersionRules(roomVersion).auth.knocking) {
      throw new MatrixError("M_INCOMPATIBLE_ROOM_VERSION", "This room's version does not support knocking", {
        room_version: roomVersion,
      });
    }
    const { event } = await this.deps.pipeline.template(roomId, {
      type: "m.room.member",
      sender: userId,
      state_key: userId,
      content: { membership: "knock" },
    });
    const refusal = await this.#refusalOfTemplate(roomId, event, roomVersion);
    if (refusal)
      throw new MatrixError("M_FORBIDDEN", `You are not allowed to knock on this room (${refusal})`);
    return { event, room_version: roomVersion };
  }

  /** `PUT /send_knock/{roomId}/{eventId}`: accepts the knock; answers the room's stripped state. */
  async sendKnock(origin: string, roomId: string, eventId: string, body: Record<string, unknown>) {
    await this.#acceptMembership(origin, roomId, eventId, body, "knock");
    const state = await this.strippedState(roomId);
    // The spec's `knock_room_state`, and the same under `knock_state_events`, the name MSC2403 used
    // and older Synapse releases (1.67 among them) require: without it their knock fails with a 500.
    return { knock_room_state: state, knock_state_events: state };
  }

  /** `PUT /v2/send_leave/{roomId}/{eventId}`. */
  async sendLeave(origin: string, roomId: string, eventId: string, body: Record<string, unknown>) {
    await this.#acceptMembership(origin, roomId, eventId, body, "leave");
    return {};
  }

  /** The auth chain of some events (their auth events, recursively), without the events themselves. */
  async #authChain(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const seen = new Set(events.map((e) => e.eventId));
    const out: StoredEvent[] = [];
    let frontier = events.flatMap((e) => authEventIds(e.pdu));
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const ev of await this.deps.events.getMany(frontier.filter((id) => !seen.has(id)))) {
        if (!ev || seen.has(ev.eventId)) continue;
        seen.add(ev.eventId);
        out.push(ev);
        next.push(...authEventIds(ev.pdu));
      }
      frontier = next;
    }
    return out;
  }

  /**
   * `PUT /v2/invite/{roomId}/{eventId}`: an invite for one of our users. Checked, co-signed and kept,
   * with the stripped room state, so the user sees it in `/sync`.
   */
  async receiveInvite(origin: string, roomId: string, eventId: string, body: Record<string, unknown>) {
    const roomVersion = body.room_version;
    if (typeof roomVersion !== "string" || !isKnownRoomVersion(roomVersion)) {
      throw new MatrixError("M_INCOMPATIBLE_ROOM_VERSION", "Unsupported room version", {
        room_version: roomVersion ?? null,
      });
    }
    const pdu = body.event as Pdu | undefined;
    if (!pdu || typeof pdu !== "object") throw new MatrixError("M_BAD_JSON", "Missing event");
    const content = (pdu.content ?? {}) as Record<string, unknown>;
    const target = pdu.state_key;
    if (
      pdu.type !== "m.room.member" ||
      content.membership !== "invite" ||
      typeof target !== "string" ||
      domainOf(target) !== this.deps.serverName ||
      typeof pdu.sender !== "string" ||
      domainOf(pdu.sender) !== origin ||
      pdu.room_id !== roomId
    ) {
      throw new MatrixError(
        "M_BAD_JSON",
        "Not an invite for a user of this server from a user of the sender",
      );
    }
    if (!(await this.deps.userExists(target))) throw new MatrixError("M_NOT_FOUND", "Unknown user");
    if (computeEventId(pdu, roomVersion) !== eventId)
      throw new MatrixError("M_BAD_JSON", "The event ID does not match");
    let verified: Pdu;
    try {
      verified = await this.deps.inbound.verify(pdu, roomVersion);
    } catch (e) {
      throw new MatrixError("M_FORBIDDEN", (e as Error).message);
    }
    const signed = signEvent(
      verified,
      this.deps.serverName,
      this.deps.signingKey,
      roomVersion,
    ) as unknown as Pdu;
    const strippedState = Array.isArray(body.invite_room_state) ? body.invite_room_state : [];
    const known = await this.deps.rooms.info(roomId);
    if (!known) {
      await this.deps.pipeline.persistOutOfBand(roomId, roomVersion, {
        ...signed,
        unsigned: { invite_room_state: strippedState },
      } as Pdu);
    }
    // In a room we hold, the invite reaches us through /send like any event.
    const { unsigned: _u, event_id: _id, ...out } = signed as Pdu & { unsigned?: unknown };
    return {
      event:
        roomVersionRules(roomVersion).eventIdFormat === "server-assigned"
          ? { ...out, event_id: eventId }
          : out,
    };
  }
}

/**
 * The room version of an invite, from the `m.room.create` in its stripped state (a v1 create has no
 * `room_version`); "10" when the inviter sent none: the event we make with it stays local.
 */
function inviteRoomVersion(invite: Pdu): string {
  const stripped = (invite.unsigned as { invite_room_state?: unknown } | undefined)?.invite_room_state;
  const create = Array.isArray(stripped)
    ? (stripped as Array<{ type?: unknown; content?: { room_version?: unknown } }>).find(
        (e) => e?.type === "m.room.create",
      )
    : undefined;
  if (!create) return "10";
  const version = create.content?.room_version ?? "1";
  return typeof version === "string" && isKnownRoomVersion(version) ? version : "10";
}

/** Errors of a resident server that a client can act on, passed on with the resident's status. */
const RELAYED_ERRCODES: ReadonlySet<string> = new Set([
  "M_FORBIDDEN",
  "M_NOT_FOUND",
  "M_INCOMPATIBLE_ROOM_VERSION",
  "M_UNSUPPORTED_ROOM_VERSION",
  // Restricted rooms (make_join): the resident cannot tell, or cannot grant; the next server is
  // tried first, and the spec asks that the error reach the client if none can.
  "M_UNABLE_TO_AUTHORISE_JOIN",
  "M_UNABLE_TO_GRANT_JOIN",
]);

/**
 * A resident's 4xx refusal of a membership handshake as our Matrix error (as other homeservers relay
 * it), its text marked as the resident's; anything else is not relayed.
 */
function relayedRefusal(e: unknown, server: string, what: string): MatrixError | undefined {
  if (!(e instanceof FederationRequestError) || e.status < 400 || e.status >= 500) return undefined;
  if (e.errcode === undefined || !RELAYED_ERRCODES.has(e.errcode)) return undefined;
  const reason = e.remoteMessage ? `: ${e.remoteMessage.slice(0, 300)}` : "";
  return new MatrixError(e.errcode, `${server} refused to let us ${what}${reason}`);
}

/**
 * The room versions a v1 invite may carry: its receiver cannot learn the version and "must assume
 * that the room version is either 1 or 2" (server-server API, "Inviting to a room", v1).
 */
const V1_INVITE_ROOM_VERSIONS = new Set(["1", "2"]);

/** Whether a remote answered that it does not know the endpoint (404, or 400/405 `M_UNRECOGNIZED`). */
function isUnrecognized(e: unknown): boolean {
  if (!(e instanceof FederationRequestError)) return false;
  return e.status === 404 || e.errcode === "M_UNRECOGNIZED";
}

/** The body of a v1 membership answer: `[200, {…}]` (or the object itself, from lenient servers). */
function legacyAnswer(json: unknown): Record<string, unknown> {
  const body = Array.isArray(json) ? json[1] : json;
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

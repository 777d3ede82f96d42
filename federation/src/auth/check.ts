/**
 * The authorization rules of room versions 1–12 ("Authorization rules" on each room version's page),
 * as one pure function. Every branch quotes its rule; the number reported in {@link AuthError.rule}
 * is the one of the room version being checked (see `numbering.ts`). Comments quote the v12 text and
 * number, with the other versions' numbers where they differ:
 *
 * | rule                       | v1, v2 | v3–v5 | v6–v7 | v8–v11 | v12  |
 * |----------------------------|--------|-------|-------|--------|------|
 * | create                     | 1      | 1     | 1     | 1      | 1    |
 * | room ID names the create   | –      | –     | –     | –      | 2    |
 * | auth events                | 2      | 2     | 2     | 2      | 3    |
 * | m.federate                 | 3      | 3     | 3     | 3      | 4    |
 * | m.room.aliases             | 4      | 4     | –     | –      | –    |
 * | m.room.member              | 5      | 5     | 4     | 4      | 5    |
 * | sender joined              | 6      | 6     | 5     | 5      | 6    |
 * | m.room.third_party_invite  | 7      | 7     | 6     | 6      | 7    |
 * | required power level       | 8      | 8     | 7     | 7      | 8    |
 * | `@` state key              | 9      | 9     | 8     | 8      | 9    |
 * | m.room.power_levels        | 10     | 10    | 9     | 9      | 10   |
 * | m.room.redaction           | 11     | –     | –     | –      | –    |
 *
 * Signatures and hashes are checked elsewhere (the event pipeline), with one exception noted at the
 * `join_authorised_via_users_server` rule.
 */
import { computeEventId, eventIdOf } from "../events/event-id.js";
import { stateMapKey } from "../events/state-map-key.js";
import { authEventIds, prevEventIds } from "../events/types.js";
import { isKnownRoomVersion, type RoomVersionRules, roomVersionRules } from "../room-versions/index.js";
import { AuthError } from "./auth-error.js";
import { domainOf, isValidUserId } from "./identifiers.js";
import { type RuleNumbers, ruleNumbers } from "./numbering.js";
import {
  creatorsOf,
  NAMED_POWER_LEVELS,
  namedLevelOf,
  type ParsedPowerLevels,
  type PowerLevelsProblem,
  parsePowerLevelsContent,
  powerLevelOf,
  readPowerLevels,
  requiredLevelOf,
} from "./power-levels.js";
import { authEventTypes } from "./selection.js";
import { thirdPartyInviteSignatureMatches } from "./third-party-invite.js";

/** Options of {@link checkEventAuth}. */
export interface CheckEventAuthOptions {
  /**
   * Whether an auth event was itself rejected ("Checks performed on receipt of a PDU"), by event ID.
   * Rule 3.3 (v1–v11: 2.3) rejects events with such auth events, and v12 rule 2 requires an accepted
   * create event. Default: no event is rejected.
   */
  isRejected?: (eventId: string) => boolean;
}

/** An event as the rules read it: a JSON object whose fields may be anything. */
type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function contentOf(event: Json): Json {
  return asObject(event.content) ?? {};
}

/** Everything the rules after the auth-event checks read. */
interface Context {
  readonly event: Json;
  readonly type: unknown;
  readonly sender: string;
  readonly rules: RoomVersionRules;
  readonly roomVersion: string;
  readonly n: RuleNumbers;
  readonly state: ReadonlyMap<string, Json>;
  readonly create: Json;
  readonly powerLevels: ParsedPowerLevels | undefined;
}

/**
 * Applies the authorization rules of `roomVersion` to `event`, with `authEvents` as the room state
 * they consult. Returns if the event is allowed; throws {@link AuthError} (with the failed rule's
 * number in that version) if it is rejected. Pure: no I/O, no clock.
 *
 * @param event the event to authorise (a PDU as a plain object; `event_id` may be present)
 * @param authEvents the state to authorise against: normally the events of the event's
 *   `auth_events`, or the state before the event (or the current state) selected with
 *   {@link authEventTypes}. In v12 the caller also passes the room's `m.room.create` event, which v12
 *   events do not list in `auth_events`. Rules 3.1–3.5 (v1–v11: 2.1–2.5) are checked over these
 *   events, and in v12 rule 3.2 also against the event's own `auth_events` field.
 * @param roomVersion the room's version; throws `UnsupportedRoomVersionError` if unknown
 */
export function checkEventAuth(
  event: object,
  authEvents: object[],
  roomVersion: string,
  options: CheckEventAuthOptions = {},
): void {
  const rules = roomVersionRules(roomVersion);
  const n = ruleNumbers(rules);
  const ev = event as Json;
  const type = ev.type;
  const sender = typeof ev.sender === "string" ? ev.sender : "";
  const isRejected = options.isRejected ?? (() => false);

  // 1. If type is m.room.create:
  if (type === "m.room.create") {
    checkCreate(ev, sender, rules, n);
    return;
  }

  const auth = authEvents.map((e) => e as Json);
  const isCreate = (e: Json): boolean => e.type === "m.room.create" && e.state_key === "";
  let candidates = auth;
  let roomCreate: Json | undefined;

  if (rules.roomIdFormat === "create-event-hash") {
    // v12 2. If the event's room_id is not an event ID for an accepted (not rejected) m.room.create
    //    event, with the sigil ! instead of $, reject.
    const roomId = ev.room_id;
    for (const candidate of auth.filter(isCreate)) {
      let createId: string;
      try {
        createId = computeEventId(candidate, roomVersion);
      } catch {
        continue; // Not a well-formed event: it cannot be the room's create event.
      }
      if (typeof roomId === "string" && roomId === `!${createId.slice(1)}`) {
        if (isRejected(createId)) {
          throw new AuthError(
            n.roomIdIsCreate,
            `the create event ${createId} of room ${roomId} was rejected`,
          );
        }
        roomCreate = candidate;
        // v12 3.2 (with its note): "In this room version, m.room.create MUST NOT be selected."
        if (authEventIds(ev).includes(createId)) {
          throw new AuthError(
            n.authEvents("selection"),
            `auth_events lists the m.room.create event ${createId}`,
          );
        }
        break;
      }
    }
    if (!roomCreate) {
      throw new AuthError(
        n.roomIdIsCreate,
        `room_id ${JSON.stringify(roomId)} is not the ID of a given m.room.create event with sigil !`,
      );
    }
    const found = roomCreate;
    candidates = auth.filter((e) => e !== found);
  }

  // 3. (v1–v11: 2.) Considering the event's auth_events:
  // 3.1 If there are duplicate entries for a given type and state_key pair, reject.
  const state = new Map<string, Json>();
  for (const e of candidates) {
    if (typeof e.type !== "string" || typeof e.state_key !== "string") continue;
    const key = stateMapKey(e.type, e.state_key);
    if (state.has(key)) {
      throw new AuthError(
        n.authEvents("duplicates"),
        `duplicate auth events for (${e.type}, ${e.state_key})`,
      );
    }
    state.set(key, e);
  }
  // 3.2 If there are entries whose type and state_key don't match those specified by the auth
  //     events selection algorithm described in the server specification, reject.
  const selected = new Set(
    authEventTypes(
      {
        type: typeof type === "string" ? type : "",
        sender,
        state_key: typeof ev.state_key === "string" ? ev.state_key : undefined,
        content: contentOf(ev),
      },
      roomVersion,
    ).map(([t, s]) => stateMapKey(t, s)),
  );
  for (const e of candidates) {
    const ok = typeof e.type === "string" && typeof e.state_key === "string";
    if (!ok || !selected.has(stateMapKey(e.type as string, e.state_key as string))) {
      throw new AuthError(
        n.authEvents("selection"),
        `auth event (${String(e.type)}, ${JSON.stringify(e.state_key)}) is not one the selection algorithm chooses`,
      );
    }
  }
  // 3.3 If there are entries which were themselves rejected under the checks performed on receipt
  //     of a PDU, reject.
  for (const e of candidates) {
    const id = eventIdOf(e, roomVersion);
    if (isRejected(id)) throw new AuthError(n.authEvents("rejected"), `auth event ${id} was rejected`);
  }
  // v1–v11 2.4 If there is no m.room.create event among the entries, reject. (Removed in v12.)
  if (rules.auth.createEventInAuthEvents) {
    roomCreate = state.get(stateMapKey("m.room.create", ""));
    if (!roomCreate)
      throw new AuthError(n.authEvents("noCreate"), "no m.room.create event among the auth events");
  }
  // 3.5 (v1–v11: 2.5) If any event in auth_events has a room_id which does not match that of the
  //     event being authorised, reject.
  for (const e of candidates) {
    if (e.room_id !== ev.room_id) {
      throw new AuthError(
        n.authEvents("roomId"),
        `auth event room_id ${JSON.stringify(e.room_id)} is not ${JSON.stringify(ev.room_id)}`,
      );
    }
  }
  if (!roomCreate) throw new Error("BUG: no create event after the auth-event checks");
  state.set(stateMapKey("m.room.create", ""), roomCreate);

  const ctx: Context = {
    event: ev,
    type,
    sender,
    rules,
    roomVersion,
    n,
    state,
    create: roomCreate,
    powerLevels: readPowerLevels(state.get(stateMapKey("m.room.power_levels", "")), rules),
  };

  // 4. (v1–v11: 3.) If the content of the m.room.create event in the room state has the property
  //    m.federate set to false, and the sender domain of the event does not match the sender domain
  //    of the create event, reject.
  if (contentOf(roomCreate)["m.federate"] === false && domainOf(sender) !== domainOf(roomCreate.sender)) {
    throw new AuthError(
      n.federate,
      `m.federate is false and ${sender} is not from the create event's server`,
    );
  }

  // v1–v5 4. If type is m.room.aliases:
  if (rules.auth.aliasesRule && type === "m.room.aliases") {
    // 4.1 If event has no state_key, reject.
    if (typeof ev.state_key !== "string")
      throw new AuthError(n.aliases(1), "m.room.aliases event has no state_key");
    // 4.2 If sender's domain doesn't match state_key, reject.
    if (domainOf(sender) !== ev.state_key) {
      throw new AuthError(n.aliases(2), `sender domain ${domainOf(sender)} is not state_key ${ev.state_key}`);
    }
    // 4.3 Otherwise, allow.
    return;
  }

  // 5. (v1–v5: 5., v6–v11: 4.) If type is m.room.member:
  if (type === "m.room.member") {
    checkMember(ctx);
    return;
  }

  // 6. If the sender's current membership state is not join, reject.
  const senderMembership = membershipOf(ctx, sender);
  if (senderMembership !== "join") {
    throw new AuthError(n.senderJoined, `sender ${sender} is not joined (membership ${senderMembership})`);
  }

  const senderLevel = levelOf(ctx, sender);
  // 7. If type is m.room.third_party_invite:
  if (type === "m.room.third_party_invite") {
    // 7.1 Allow if and only if sender's current power level is greater than or equal to the
    //     invite level.
    const invite = namedLevelOf(ctx.powerLevels, "invite");
    if (senderLevel >= invite) return;
    throw new AuthError(
      `${n.thirdPartyInvite}.1`,
      `sender power level ${senderLevel} is below invite level ${invite}`,
    );
  }

  // 8. If the event type's required power level is greater than the sender's power level, reject.
  const isState = typeof ev.state_key === "string";
  const required = requiredLevelOf(String(type), isState, ctx.powerLevels);
  if (required > senderLevel) {
    throw new AuthError(
      n.requiredPowerLevel,
      `${String(type)} requires power level ${required}; sender ${sender} has ${senderLevel}`,
    );
  }

  // 9. If the event has a state_key that starts with an @ and does not match the sender, reject.
  if (isState && (ev.state_key as string).startsWith("@") && ev.state_key !== sender) {
    throw new AuthError(
      n.stateKeyIsSender,
      `state_key ${String(ev.state_key)} starts with @ and is not the sender`,
    );
  }

  // 10. If type is m.room.power_levels:
  if (type === "m.room.power_levels") {
    checkPowerLevels(ctx, senderLevel);
    return;
  }

  // v1, v2 11. If type is m.room.redaction:
  if (rules.auth.redactionRule && type === "m.room.redaction") {
    // 11.1 If the sender's power level is greater than or equal to the redact level, allow.
    if (senderLevel >= namedLevelOf(ctx.powerLevels, "redact")) return;
    // 11.2 If the domain of the event_id of the event being redacted is the same as the domain of
    //      the event_id of the m.room.redaction, allow.
    const ownDomain = domainOf(eventIdOf(ev, roomVersion));
    if (ownDomain !== undefined && domainOf(ev.redacts) === ownDomain) return;
    // 11.3 Otherwise, reject.
    throw new AuthError(
      n.redaction(3),
      `sender is below the redact level and ${JSON.stringify(ev.redacts)} is from another server`,
    );
  }

  // 11. (v1–v2: 12., v6–v11: 10.) Otherwise, allow.
}

/** Rule 1: `m.room.create`. */
function checkCreate(ev: Json, sender: string, rules: RoomVersionRules, n: RuleNumbers): void {
  const content = contentOf(ev);
  // 1.1 If it has any prev_events, reject.
  if (Array.isArray(ev.prev_events) ? ev.prev_events.length > 0 : ev.prev_events !== undefined) {
    throw new AuthError(n.create("prevEvents"), "m.room.create has prev_events");
  }
  if (rules.auth.createRoomIdDomainCheck) {
    // v1–v11 1.2 If the domain of the room_id does not match the domain of the sender, reject.
    const roomDomain = domainOf(ev.room_id);
    if (roomDomain === undefined || roomDomain !== domainOf(sender)) {
      throw new AuthError(
        n.create("roomId"),
        `room_id ${JSON.stringify(ev.room_id)} is not on ${domainOf(sender)}`,
      );
    }
  } else if (rules.roomIdFormat === "create-event-hash") {
    // v12 1.2 If the event has a room_id, reject.
    if ("room_id" in ev) throw new AuthError(n.create("roomId"), "m.room.create has a room_id");
  }
  // 1.3 If content.room_version is present and is not a recognised version, reject.
  if ("room_version" in content && !isKnownRoomVersion(content.room_version)) {
    throw new AuthError(
      n.create("roomVersion"),
      `content.room_version ${JSON.stringify(content.room_version)} is not a recognised version`,
    );
  }
  // v1–v10 1.4 If content has no creator property, reject.
  if (rules.auth.createRequiresCreator && !("creator" in content)) {
    throw new AuthError(n.create("creator"), "m.room.create content has no creator");
  }
  // v12 1.4 If additional_creators is present in content and is not an array of strings where each
  //         string passes the same user ID validation applied to sender, reject.
  if (rules.auth.creators === "create-sender-and-additional-infinite" && "additional_creators" in content) {
    const extra = content.additional_creators;
    if (!Array.isArray(extra) || !extra.every((c) => isValidUserId(c))) {
      throw new AuthError(
        n.create("additionalCreators"),
        `additional_creators ${JSON.stringify(extra)} is not an array of valid user IDs`,
      );
    }
  }
  // 1.5 (v11: 1.4) Otherwise, allow.
}

/** The `membership` of a user's member event in the auth state, if any. */
function membershipOf(ctx: Context, userId: string): string | undefined {
  const member = ctx.state.get(stateMapKey("m.room.member", userId));
  if (!member) return undefined;
  const membership = contentOf(member).membership;
  return typeof membership === "string" ? membership : undefined;
}

function levelOf(ctx: Context, userId: string): number {
  return powerLevelOf(userId, ctx.powerLevels, ctx.create, ctx.rules);
}

/** The current join rule; an absent `m.room.join_rules` event reads as `invite`. */
function joinRuleOf(ctx: Context): unknown {
  const event = ctx.state.get(stateMapKey("m.room.join_rules", ""));
  // NOTSPEC: the rules do not say what an absent join rules event means; like Synapse and ruma we
  // read it as "invite" (the rules then only let invited users join).
  if (!event) return "invite";
  return contentOf(event).join_rule;
}

/** Rule 5 (v1–v5: 5, v6–v11: 4): `m.room.member`. */
function checkMember(ctx: Context): void {
  const { event: ev, sender, n, rules } = ctx;
  const content = contentOf(ev);
  const stateKey = ev.state_key;
  const membership = content.membership;
  // 5.1 If there is no state_key property, or no membership property in content, reject.
  if (typeof stateKey !== "string" || !("membership" in content)) {
    throw new AuthError(n.member("fields"), "m.room.member has no state_key or no content.membership");
  }
  const target = stateKey;

  // v8+ 5.2 If content has a join_authorised_via_users_server key:
  if (rules.auth.restrictedJoins && "join_authorised_via_users_server" in content) {
    // 5.2.1 If the event is not validly signed by the homeserver of the user ID denoted by the key,
    //       reject.
    // The pipeline verifies every signature on an event cryptographically before the auth rules run
    // (and drops events with a bad one), so here it suffices that a signature from that server is
    // present at all.
    const server = domainOf(content.join_authorised_via_users_server);
    const signatures = asObject(ev.signatures);
    const fromServer = server === undefined ? undefined : asObject(signatures?.[server]);
    if (!fromServer || Object.keys(fromServer).length === 0) {
      throw new AuthError(
        n.member("joinAuthorisedSignature", 1),
        `not signed by the server of join_authorised_via_users_server ${JSON.stringify(content.join_authorised_via_users_server)}`,
      );
    }
  }

  const senderMembership = membershipOf(ctx, sender);
  const targetMembership = membershipOf(ctx, target);
  const senderLevel = levelOf(ctx, sender);
  const targetLevel = levelOf(ctx, target);

  switch (membership) {
    case "join": {
      // 5.3 If membership is join:
      // 5.3.1 If the only previous event is an m.room.create and the state_key is the sender of the
      //       m.room.create (v1–v10: "is the creator"), allow.
      const prev = prevEventIds(ev);
      const creator =
        rules.auth.creators === "content-creator" ? contentOf(ctx.create).creator : ctx.create.sender;
      if (prev.length === 1 && prev[0] === eventIdOf(ctx.create, ctx.roomVersion) && target === creator)
        return;
      // 5.3.2 If the sender does not match state_key, reject.
      if (sender !== target)
        throw new AuthError(n.join("sender"), `sender ${sender} is not state_key ${target}`);
      // 5.3.3 If the sender is banned, reject.
      if (senderMembership === "ban") throw new AuthError(n.join("banned"), `${sender} is banned`);
      const joinRule = joinRuleOf(ctx);
      // 5.3.4 If the join_rule is invite or knock (v1–v6: invite) then allow if membership state is
      //       invite or join.
      if (joinRule === "invite" || (rules.auth.knocking && joinRule === "knock")) {
        if (senderMembership === "invite" || senderMembership === "join") return;
        throw new AuthError(n.join("otherwise"), `join rule is ${joinRule} and ${sender} is not invited`);
      }
      // v8+ 5.3.5 If the join_rule is restricted or knock_restricted (v8, v9: restricted):
      if (
        rules.auth.restrictedJoins &&
        (joinRule === "restricted" || (rules.auth.knockRestricted && joinRule === "knock_restricted"))
      ) {
        // 5.3.5.1 If membership state is join or invite, allow.
        if (senderMembership === "join" || senderMembership === "invite") return;
        // 5.3.5.2 If the join_authorised_via_users_server key in content is not a user with
        //         sufficient permission to invite other users or is not a joined member of the
        //         room, reject.
        const authoriser = content.join_authorised_via_users_server;
        if (typeof authoriser !== "string") {
          throw new AuthError(
            `${n.join("restricted")}.2`,
            `restricted join without a valid join_authorised_via_users_server`,
          );
        }
        const inviteLevel = namedLevelOf(ctx.powerLevels, "invite");
        const authoriserLevel = levelOf(ctx, authoriser);
        if (membershipOf(ctx, authoriser) !== "join" || authoriserLevel < inviteLevel) {
          throw new AuthError(
            `${n.join("restricted")}.2`,
            `${authoriser} is not joined with power level >= invite level ${inviteLevel}`,
          );
        }
        // 5.3.5.3 Otherwise, allow.
        return;
      }
      // 5.3.6 If the join_rule is public, allow.
      if (joinRule === "public") return;
      // 5.3.7 Otherwise, reject.
      throw new AuthError(
        n.join("otherwise"),
        `join rule ${JSON.stringify(joinRule)} does not let ${sender} join`,
      );
    }

    case "invite": {
      // 5.4 If membership is invite:
      // 5.4.1 If content has a third_party_invite property:
      if ("third_party_invite" in content) {
        checkThirdPartyInvite(ctx, content, target, targetMembership);
        return;
      }
      // 5.4.2 If the sender's current membership state is not join, reject.
      if (senderMembership !== "join")
        throw new AuthError(n.member("invite", 2), `inviter ${sender} is not joined`);
      // 5.4.3 If target user's current membership state is join or ban, reject.
      if (targetMembership === "join" || targetMembership === "ban") {
        throw new AuthError(n.member("invite", 3), `${target} is already ${targetMembership}`);
      }
      // 5.4.4 If the sender's power level is greater than or equal to the invite level, allow.
      const inviteLevel = namedLevelOf(ctx.powerLevels, "invite");
      if (senderLevel >= inviteLevel) return;
      // 5.4.5 Otherwise, reject.
      throw new AuthError(
        n.member("invite", 5),
        `sender power level ${senderLevel} is below invite level ${inviteLevel}`,
      );
    }

    case "leave": {
      // 5.5 If membership is leave:
      // 5.5.1 If the sender matches state_key, allow if and only if that user's current membership
      //       state is invite, join, or knock (v1–v6: invite or join).
      if (sender === target) {
        if (
          senderMembership === "invite" ||
          senderMembership === "join" ||
          (rules.auth.knocking && senderMembership === "knock")
        ) {
          return;
        }
        throw new AuthError(
          n.member("leave", 1),
          `${sender} cannot leave from membership ${senderMembership}`,
        );
      }
      // 5.5.2 If the sender's current membership state is not join, reject.
      if (senderMembership !== "join")
        throw new AuthError(n.member("leave", 2), `sender ${sender} is not joined`);
      // 5.5.3 If the target user's current membership state is ban, and the sender's power level is
      //       less than the ban level, reject.
      const banLevel = namedLevelOf(ctx.powerLevels, "ban");
      if (targetMembership === "ban" && senderLevel < banLevel) {
        throw new AuthError(
          n.member("leave", 3),
          `unbanning needs the ban level ${banLevel}; sender has ${senderLevel}`,
        );
      }
      // 5.5.4 If the sender's power level is greater than or equal to the kick level, and the
      //       target user's power level is less than the sender's power level, allow.
      const kickLevel = namedLevelOf(ctx.powerLevels, "kick");
      if (senderLevel >= kickLevel && targetLevel < senderLevel) return;
      // 5.5.5 Otherwise, reject.
      throw new AuthError(
        n.member("leave", 5),
        `sender power level ${senderLevel} cannot kick ${target} (level ${targetLevel}, kick level ${kickLevel})`,
      );
    }

    case "ban": {
      // 5.6 If membership is ban:
      // 5.6.1 If the sender's current membership state is not join, reject.
      if (senderMembership !== "join")
        throw new AuthError(n.member("ban", 1), `sender ${sender} is not joined`);
      // 5.6.2 If the sender's power level is greater than or equal to the ban level, and the target
      //       user's power level is less than the sender's power level, allow.
      const banLevel = namedLevelOf(ctx.powerLevels, "ban");
      if (senderLevel >= banLevel && targetLevel < senderLevel) return;
      // 5.6.3 Otherwise, reject.
      throw new AuthError(
        n.member("ban", 3),
        `sender power level ${senderLevel} cannot ban ${target} (level ${targetLevel}, ban level ${banLevel})`,
      );
    }

    case "knock": {
      // v7+ 5.7 If membership is knock (before v7, knock is an unknown membership):
      if (!rules.auth.knocking) break;
      // 5.7.1 If the join_rule is anything other than knock or knock_restricted (v7–v9: knock),
      //       reject.
      const joinRule = joinRuleOf(ctx);
      if (!(joinRule === "knock" || (rules.auth.knockRestricted && joinRule === "knock_restricted"))) {
        throw new AuthError(
          n.member("knock", 1),
          `join rule ${JSON.stringify(joinRule)} does not allow knocking`,
        );
      }
      // 5.7.2 If sender does not match state_key, reject.
      if (sender !== target)
        throw new AuthError(n.member("knock", 2), `sender ${sender} is not state_key ${target}`);
      // 5.7.3 If the sender's current membership is not ban, invite, or join, allow.
      if (senderMembership !== "ban" && senderMembership !== "invite" && senderMembership !== "join") return;
      // 5.7.4 Otherwise, reject.
      throw new AuthError(n.member("knock", 4), `${sender} cannot knock from membership ${senderMembership}`);
    }
  }
  // 5.8 Otherwise, the membership is unknown. Reject.
  throw new AuthError(n.member("unknown"), `unknown membership ${JSON.stringify(membership)}`);
}

/** Rule 5.4.1 (v1–v5: 5.3.1, v6–v7: 4.3.1, v8–v11: 4.4.1): invites with `third_party_invite`. */
function checkThirdPartyInvite(
  ctx: Context,
  content: Json,
  target: string,
  targetMembership: string | undefined,
): void {
  const rule = (sub: number): string => ctx.n.member("invite", 1, sub);
  // 5.4.1.1 If target user is banned, reject.
  if (targetMembership === "ban") throw new AuthError(rule(1), `${target} is banned`);
  // 5.4.1.2 If content.third_party_invite does not have a signed property, reject.
  const signed = asObject(asObject(content.third_party_invite)?.signed);
  if (!signed) throw new AuthError(rule(2), "third_party_invite has no signed object");
  // 5.4.1.3 If signed does not have mxid and token properties, reject.
  const { mxid, token } = signed;
  if (typeof mxid !== "string" || typeof token !== "string") {
    throw new AuthError(rule(3), "third_party_invite.signed lacks a string mxid or token");
  }
  // 5.4.1.4 If mxid does not match state_key, reject.
  if (mxid !== target) throw new AuthError(rule(4), `signed mxid ${mxid} is not state_key ${target}`);
  // 5.4.1.5 If there is no m.room.third_party_invite event in the current room state with state_key
  //         matching token, reject.
  const invite = ctx.state.get(stateMapKey("m.room.third_party_invite", token));
  if (!invite)
    throw new AuthError(rule(5), `no m.room.third_party_invite with state_key ${JSON.stringify(token)}`);
  // 5.4.1.6 If sender does not match sender of the m.room.third_party_invite, reject.
  if (invite.sender !== ctx.sender) {
    throw new AuthError(
      rule(6),
      `sender ${ctx.sender} did not send the third party invite (${String(invite.sender)})`,
    );
  }
  // 5.4.1.7 If any signature in signed matches any public key in the m.room.third_party_invite
  //         event, allow. The public keys are in content of m.room.third_party_invite as: a single
  //         public key in the public_key property; a list of public keys in the public_keys property.
  if (thirdPartyInviteSignatureMatches(signed, invite.content)) return;
  // 5.4.1.8 Otherwise, reject.
  throw new AuthError(rule(8), "no signature in signed matches a public key of the third party invite");
}

/** Rule 10 (v1–v5: 10, v6–v11: 9): `m.room.power_levels`. */
function checkPowerLevels(ctx: Context, senderLevel: number): void {
  const { event: ev, n, rules } = ctx;
  const mode = rules.auth.powerLevelValues;
  const parsed = parsePowerLevelsContent(ev.content, mode);
  const relevant = parsed.problems.filter(
    (p) => p.property !== "notifications" || rules.auth.notificationsPowerLevels,
  );
  const first = (pred: (p: PowerLevelsProblem) => boolean): PowerLevelsProblem | undefined =>
    relevant.find(pred);
  const isNamed = (p: PowerLevelsProblem): boolean =>
    (NAMED_POWER_LEVELS as readonly string[]).includes(p.property);
  const isMap = (p: PowerLevelsProblem): boolean => p.property === "events" || p.property === "notifications";

  if (mode === "integer-only") {
    // v10+ 10.1 If any of the properties users_default, events_default, state_default, ban, redact,
    //           kick, or invite in content are present and not an integer, reject.
    const named = first(isNamed);
    if (named) throw new AuthError(n.powerLevels("namedIntegers"), named.detail);
    // v10+ 10.2 If either of the properties events or notifications in content are present and not
    //           an object with values that are integers, reject.
    const map = first(isMap);
    if (map) throw new AuthError(n.powerLevels("mapsIntegers"), map.detail);
  }
  // 10.3 (v1–v9: 10.1 / 9.1) If the users property in content is not an object with keys that are
  //      valid user IDs with values that are integers (v1–v9: "or a string that is an integer"),
  //      reject. An absent users property is an empty one.
  const users = first((p) => p.property === "users");
  if (users) throw new AuthError(n.powerLevels("users"), users.detail);
  // NOTSPEC: v1–v9 only name `users` here, but a value the version cannot read as a power level
  // (e.g. "ban": "fifty") cannot be compared by the rules below; like Synapse and ruma we reject it,
  // reported under this rule.
  const other = relevant[0];
  if (other) throw new AuthError(n.powerLevels("users"), other.detail);
  const next = parsed.levels;

  // v12 10.4 If the users property in content contains the sender of the m.room.create event or any
  //          of the additional_creators array (if present) from the content of the m.room.create
  //          event, reject.
  if (rules.auth.creators === "create-sender-and-additional-infinite") {
    const creators = creatorsOf(ctx.create, rules);
    const creator = [...next.users.keys()].find((u) => creators.includes(u));
    if (creator !== undefined) {
      throw new AuthError(n.powerLevels("creatorsNotInUsers"), `users contains the room creator ${creator}`);
    }
  }

  // 10.5 If there is no previous m.room.power_levels event in the room, allow.
  const current = ctx.powerLevels;
  if (!current) return;

  // 10.6 For the properties users_default, events_default, state_default, ban, redact, kick, invite
  //      check if they were added, changed or removed. For each found alteration:
  for (const key of NAMED_POWER_LEVELS) {
    const before = current.named[key];
    const after = next.named[key];
    if (before === after) continue;
    // 10.6.1 If the current value is higher than the sender's current power level, reject.
    if (before !== undefined && before > senderLevel) {
      throw new AuthError(
        n.powerLevels("named", 1),
        `${key} is ${before}, above the sender's level ${senderLevel}`,
      );
    }
    // 10.6.2 If the new value is higher than the sender's current power level, reject.
    if (after !== undefined && after > senderLevel) {
      throw new AuthError(
        n.powerLevels("named", 2),
        `new ${key} ${after} is above the sender's level ${senderLevel}`,
      );
    }
  }

  // v6+ also checks notifications ("events or notifications"); v1–v5 only events.
  const maps: Array<"events" | "notifications"> = rules.auth.notificationsPowerLevels
    ? ["events", "notifications"]
    : ["events"];
  for (const name of maps) {
    const before = current[name];
    const after = next[name];
    // 10.7 For each entry being changed in, or removed from, the events or notifications properties:
    for (const [key, old] of before) {
      // 10.7.1 If the current value is greater than the sender's current power level, reject.
      if (after.get(key) !== old && old > senderLevel) {
        throw new AuthError(
          n.powerLevels("mapsOld", 1),
          `${name}[${JSON.stringify(key)}] is ${old}, above the sender's level ${senderLevel}`,
        );
      }
    }
    // 10.8 For each entry being added to, or changed in, the events or notifications properties:
    for (const [key, value] of after) {
      // 10.8.1 If the new value is greater than the sender's current power level, reject.
      if (before.get(key) !== value && value > senderLevel) {
        throw new AuthError(
          n.powerLevels("mapsNew", 1),
          `new ${name}[${JSON.stringify(key)}] ${value} is above the sender's level ${senderLevel}`,
        );
      }
    }
  }

  // 10.9 For each entry being changed in, or removed from, the users property, other than the
  //      sender's own entry:
  for (const [user, old] of current.users) {
    if (user === ctx.sender || next.users.get(user) === old) continue;
    // 10.9.1 If the current value is greater than or equal to the sender's current power level,
    //        reject.
    if (old >= senderLevel) {
      throw new AuthError(
        n.powerLevels("usersOld", 1),
        `${user} has ${old}, not below the sender's level ${senderLevel}`,
      );
    }
  }
  // 10.10 For each entry being added to, or changed in, the users property:
  for (const [user, value] of next.users) {
    // 10.10.1 If the new value is greater than the sender's current power level, reject.
    if (current.users.get(user) !== value && value > senderLevel) {
      throw new AuthError(
        n.powerLevels("usersNew", 1),
        `new level ${value} of ${user} is above the sender's level ${senderLevel}`,
      );
    }
  }
  // 10.10 (sic; v1–v9: 10.8 / 9.8, v10–v11: 9.10) Otherwise, allow.
}

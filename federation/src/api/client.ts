/**
 * Client-Server API endpoints (spec "Client-Server API"), declared once for the server's routes, the
 * client SDK and the API documentation. Types describe what Hearth sends and takes; Matrix data is
 * open, so event contents and unknown fields pass through as `Record<string, unknown>`.
 */
import { endpoint } from "./endpoint.js";

type Json = Record<string, unknown>;

/** An event as clients see it ("Client-Server API", "Room Events"). */
export interface ClientEvent {
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly content: Json;
  readonly state_key?: string;
  readonly room_id?: string;
  readonly redacts?: string;
  readonly unsigned?: Json & {
    readonly transaction_id?: string;
    readonly age?: number;
    readonly prev_content?: Json;
    readonly redacted_because?: ClientEvent;
  };
}

/** A stripped or ephemeral event (`type`, `content`, maybe `sender` and `state_key`). */
export interface BasicEvent {
  readonly type: string;
  readonly content: Json;
  readonly sender?: string;
  readonly state_key?: string;
}

/** A joined room's section of a sync response. */
export interface JoinedRoomSync {
  readonly summary?: {
    readonly "m.heroes"?: string[];
    readonly "m.joined_member_count"?: number;
    readonly "m.invited_member_count"?: number;
  };
  readonly state?: { readonly events: ClientEvent[] };
  readonly timeline?: {
    readonly events: ClientEvent[];
    readonly limited?: boolean;
    readonly prev_batch?: string;
  };
  readonly ephemeral?: { readonly events: BasicEvent[] };
  readonly account_data?: { readonly events: BasicEvent[] };
  readonly unread_notifications?: { readonly notification_count?: number; readonly highlight_count?: number };
  readonly unread_thread_notifications?: Record<
    string,
    { notification_count?: number; highlight_count?: number }
  >;
}

/** A `/sync` response ("Syncing"). */
export interface SyncResponse {
  readonly next_batch: string;
  readonly rooms?: {
    readonly join?: Record<string, JoinedRoomSync>;
    readonly invite?: Record<string, { readonly invite_state?: { readonly events: BasicEvent[] } }>;
    readonly knock?: Record<string, { readonly knock_state?: { readonly events: BasicEvent[] } }>;
    readonly leave?: Record<
      string,
      { readonly state?: { readonly events: ClientEvent[] }; readonly timeline?: JoinedRoomSync["timeline"] }
    >;
  };
  readonly account_data?: { readonly events: BasicEvent[] };
  readonly presence?: { readonly events: BasicEvent[] };
  readonly to_device?: { readonly events: BasicEvent[] };
  readonly device_lists?: { readonly changed?: string[]; readonly left?: string[] };
  readonly device_one_time_keys_count?: Record<string, number>;
  readonly device_unused_fallback_key_types?: string[];
}

/** What a login or registration returns. */
export interface LoginResponse {
  readonly user_id: string;
  readonly access_token: string;
  readonly device_id: string;
  readonly refresh_token?: string;
  readonly expires_in_ms?: number;
  readonly home_server?: string;
  readonly well_known?: Json;
}

/** `/sync`'s query. */
export interface SyncQuery {
  readonly since?: string;
  readonly timeout?: number;
  readonly filter?: string;
  readonly full_state?: boolean;
  readonly set_presence?: "online" | "offline" | "unavailable";
}

const C = "/_matrix/client";
const v3 = (path: string) => ({ path: `${C}/v3${path}`, aliases: [`${C}/r0${path}`] });

// ---- Server and session -------------------------------------------------------------------------

export const getVersions = endpoint<
  never,
  undefined,
  undefined,
  { versions: string[]; unstable_features?: Record<string, boolean> }
>({
  name: "getVersions",
  method: "GET",
  path: `${C}/versions`,
  auth: "optional",
  summary: "The spec versions and unstable features the server supports.",
  section: "API Versions",
});

export const login = endpoint<never, undefined, Json, LoginResponse>({
  name: "login",
  method: "POST",
  ...v3("/login"),
  auth: "none",
  rateLimited: true,
  summary: "Log in (m.login.password, m.login.token) and get an access token.",
  section: "Login",
});

export const getLoginFlows = endpoint<never, undefined, undefined, { flows: Array<{ type: string }> }>({
  name: "getLoginFlows",
  method: "GET",
  ...v3("/login"),
  auth: "none",
  summary: "The login types the server supports.",
  section: "Login",
});

export const register = endpoint<never, { kind?: "user" | "guest" }, Json, LoginResponse>({
  name: "register",
  method: "POST",
  ...v3("/register"),
  auth: "none",
  rateLimited: true,
  summary: "Register an account (user-interactive authentication).",
  section: "Account registration",
});

export const logout = endpoint<never, undefined, Json, Json>({
  name: "logout",
  method: "POST",
  ...v3("/logout"),
  auth: "required",
  summary: "Invalidate the access token (and its device).",
  section: "Logout",
});

export const whoami = endpoint<
  never,
  undefined,
  undefined,
  { user_id: string; device_id?: string; is_guest?: boolean }
>({
  name: "whoami",
  method: "GET",
  ...v3("/account/whoami"),
  auth: "required",
  summary: "The user and device of the access token.",
  section: "Current account information",
});

export const refresh = endpoint<
  never,
  undefined,
  { refresh_token: string },
  { access_token: string; refresh_token?: string; expires_in_ms?: number }
>({
  name: "refresh",
  method: "POST",
  path: `${C}/v3/refresh`,
  auth: "none",
  rateLimited: true,
  summary: "Exchange a refresh token for a new access token.",
  section: "Refreshing access tokens",
});

// ---- Sync ----------------------------------------------------------------------------------------

export const sync = endpoint<never, SyncQuery, undefined, SyncResponse>({
  name: "sync",
  method: "GET",
  ...v3("/sync"),
  auth: "required",
  summary: "Changes since a token, waiting up to `timeout` for some (long-poll).",
  section: "Syncing",
});

export const createFilter = endpoint<"userId", undefined, Json, { filter_id: string }>({
  name: "createFilter",
  method: "POST",
  ...v3("/user/{userId}/filter"),
  auth: "required",
  summary: "Upload a filter; its ID can be given to /sync.",
  section: "Filtering",
});

// ---- Rooms -----------------------------------------------------------------------------------------

export interface CreateRoomRequest {
  readonly name?: string;
  readonly topic?: string;
  readonly invite?: readonly string[];
  readonly preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  readonly visibility?: "public" | "private";
  readonly room_alias_name?: string;
  readonly is_direct?: boolean;
  readonly room_version?: string;
  readonly initial_state?: ReadonlyArray<{ type: string; state_key?: string; content: Json }>;
  readonly creation_content?: Json;
  readonly power_level_content_override?: Json;
}

export const createRoom = endpoint<
  never,
  undefined,
  CreateRoomRequest,
  { room_id: string; room_alias?: string }
>({
  name: "createRoom",
  method: "POST",
  ...v3("/createRoom"),
  auth: "required",
  summary: "Create a room.",
  section: "Creation",
});

export const joinRoom = endpoint<
  "roomIdOrAlias",
  { server_name?: string[]; via?: string[] },
  { reason?: string },
  { room_id: string }
>({
  name: "joinRoom",
  method: "POST",
  ...v3("/join/{roomIdOrAlias}"),
  auth: "required",
  summary: "Join a room by ID or alias (through `server_name`/`via` servers for remote rooms).",
  section: "Joining rooms",
});

export const leaveRoom = endpoint<"roomId", undefined, { reason?: string }, Json>({
  name: "leaveRoom",
  method: "POST",
  ...v3("/rooms/{roomId}/leave"),
  auth: "required",
  summary: "Leave a room (or reject an invite).",
  section: "Leaving rooms",
});

export const inviteUser = endpoint<"roomId", undefined, { user_id: string; reason?: string }, Json>({
  name: "inviteUser",
  method: "POST",
  ...v3("/rooms/{roomId}/invite"),
  auth: "required",
  summary: "Invite a user to a room.",
  section: "Room membership",
});

export const kickUser = endpoint<"roomId", undefined, { user_id: string; reason?: string }, Json>({
  name: "kickUser",
  method: "POST",
  ...v3("/rooms/{roomId}/kick"),
  auth: "required",
  summary: "Kick a user from a room.",
  section: "Room membership",
});

export const banUser = endpoint<"roomId", undefined, { user_id: string; reason?: string }, Json>({
  name: "banUser",
  method: "POST",
  ...v3("/rooms/{roomId}/ban"),
  auth: "required",
  summary: "Ban a user from a room.",
  section: "Room membership",
});

export const unbanUser = endpoint<"roomId", undefined, { user_id: string; reason?: string }, Json>({
  name: "unbanUser",
  method: "POST",
  ...v3("/rooms/{roomId}/unban"),
  auth: "required",
  summary: "Lift a user's ban from a room.",
  section: "Room membership",
});

export const forgetRoom = endpoint<"roomId", undefined, Json, Json>({
  name: "forgetRoom",
  method: "POST",
  ...v3("/rooms/{roomId}/forget"),
  auth: "required",
  summary: "Forget a room the user has left.",
  section: "Leaving rooms",
});

export const joinedRooms = endpoint<never, undefined, undefined, { joined_rooms: string[] }>({
  name: "joinedRooms",
  method: "GET",
  ...v3("/joined_rooms"),
  auth: "required",
  summary: "The rooms the user is joined to.",
  section: "Room membership",
});

/** A room of the public room directory (`PublicRoomsChunk`, "Listing rooms"). */
export interface PublicRoom {
  readonly room_id: string;
  readonly name?: string;
  readonly topic?: string;
  readonly canonical_alias?: string;
  readonly avatar_url?: string;
  readonly num_joined_members: number;
  readonly world_readable: boolean;
  readonly guest_can_join: boolean;
  readonly join_rule?: string;
  readonly room_type?: string;
}

export const queryPublicRooms = endpoint<
  never,
  { server?: string },
  {
    limit?: number;
    since?: string;
    filter?: { generic_search_term?: string; room_types?: Array<string | null> };
  },
  { chunk: PublicRoom[]; next_batch?: string; prev_batch?: string; total_room_count_estimate?: number }
>({
  name: "queryPublicRooms",
  method: "POST",
  ...v3("/publicRooms"),
  auth: "required",
  summary: "The public room directory, filtered by a search term and room types.",
  section: "Listing rooms",
});

export const sendMessage = endpoint<"roomId" | "eventType" | "txnId", undefined, Json, { event_id: string }>({
  name: "sendMessage",
  method: "PUT",
  ...v3("/rooms/{roomId}/send/{eventType}/{txnId}"),
  auth: "required",
  rateLimited: true,
  summary: "Send a message event; idempotent per device and transaction ID.",
  section: "Sending events to a room",
});

export const setState = endpoint<"roomId" | "eventType" | "stateKey", undefined, Json, { event_id: string }>({
  name: "setState",
  method: "PUT",
  ...v3("/rooms/{roomId}/state/{eventType}/{stateKey}"),
  auth: "required",
  summary: "Send a state event.",
  section: "Sending events to a room",
});

export const getStateEvent = endpoint<
  "roomId" | "eventType" | "stateKey",
  { format?: "content" | "event" },
  undefined,
  Json
>({
  name: "getStateEvent",
  method: "GET",
  ...v3("/rooms/{roomId}/state/{eventType}/{stateKey}"),
  auth: "required",
  summary: "The content of one state event.",
  section: "Getting events for a room",
});

export const getState = endpoint<"roomId", undefined, undefined, ClientEvent[]>({
  name: "getState",
  method: "GET",
  ...v3("/rooms/{roomId}/state"),
  auth: "required",
  summary: "A room's current state.",
  section: "Getting events for a room",
});

export const redactEvent = endpoint<
  "roomId" | "eventId" | "txnId",
  undefined,
  { reason?: string },
  { event_id: string }
>({
  name: "redactEvent",
  method: "PUT",
  ...v3("/rooms/{roomId}/redact/{eventId}/{txnId}"),
  auth: "required",
  rateLimited: true,
  summary: "Redact an event.",
  section: "Redactions",
});

export const getEvent = endpoint<"roomId" | "eventId", undefined, undefined, ClientEvent>({
  name: "getEvent",
  method: "GET",
  ...v3("/rooms/{roomId}/event/{eventId}"),
  auth: "required",
  summary: "One event.",
  section: "Getting events for a room",
});

export interface MessagesQuery {
  readonly dir: "b" | "f";
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly filter?: string;
}

export const getMessages = endpoint<
  "roomId",
  MessagesQuery,
  undefined,
  { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }
>({
  name: "getMessages",
  method: "GET",
  ...v3("/rooms/{roomId}/messages"),
  auth: "required",
  summary: "A page of a room's timeline (back pagination).",
  section: "Getting events for a room",
});

export const getMembers = endpoint<
  "roomId",
  { at?: string; membership?: string; not_membership?: string },
  undefined,
  { chunk: ClientEvent[] }
>({
  name: "getMembers",
  method: "GET",
  ...v3("/rooms/{roomId}/members"),
  auth: "required",
  summary: "A room's member events.",
  section: "Getting events for a room",
});

export const getJoinedMembers = endpoint<
  "roomId",
  undefined,
  undefined,
  { joined: Record<string, { display_name?: string; avatar_url?: string }> }
>({
  name: "getJoinedMembers",
  method: "GET",
  ...v3("/rooms/{roomId}/joined_members"),
  auth: "required",
  summary: "A room's joined members with their profiles.",
  section: "Getting events for a room",
});

export const setTyping = endpoint<
  "roomId" | "userId",
  undefined,
  { typing: boolean; timeout?: number },
  Json
>({
  name: "setTyping",
  method: "PUT",
  ...v3("/rooms/{roomId}/typing/{userId}"),
  auth: "required",
  summary: "Start or stop typing in a room.",
  section: "Typing Notifications",
});

export const sendReceipt = endpoint<
  "roomId" | "receiptType" | "eventId",
  undefined,
  { thread_id?: string },
  Json
>({
  name: "sendReceipt",
  method: "POST",
  ...v3("/rooms/{roomId}/receipt/{receiptType}/{eventId}"),
  auth: "required",
  summary: "Send a read receipt (m.read, m.read.private).",
  section: "Receipts",
});

export const setReadMarkers = endpoint<
  "roomId",
  undefined,
  { "m.fully_read"?: string; "m.read"?: string; "m.read.private"?: string },
  Json
>({
  name: "setReadMarkers",
  method: "POST",
  ...v3("/rooms/{roomId}/read_markers"),
  auth: "required",
  summary: "Set the fully-read marker and read receipts.",
  section: "Fully read markers",
});

// ---- Profiles, presence, account data -----------------------------------------------------------

export const getProfile = endpoint<
  "userId",
  undefined,
  undefined,
  { displayname?: string; avatar_url?: string }
>({
  name: "getProfile",
  method: "GET",
  ...v3("/profile/{userId}"),
  auth: "optional",
  summary: "A user's profile.",
  section: "Profiles",
});

export const setProfileField = endpoint<"userId" | "keyName", undefined, Json, Json>({
  name: "setProfileField",
  method: "PUT",
  ...v3("/profile/{userId}/{keyName}"),
  auth: "required",
  summary: "Set a profile field (displayname, avatar_url).",
  section: "Profiles",
});

export const setPresence = endpoint<
  "userId",
  undefined,
  { presence: "online" | "offline" | "unavailable"; status_msg?: string },
  Json
>({
  name: "setPresence",
  method: "PUT",
  ...v3("/presence/{userId}/status"),
  auth: "required",
  summary: "Set the user's presence.",
  section: "Presence",
});

export const setAccountData = endpoint<"userId" | "type", undefined, Json, Json>({
  name: "setAccountData",
  method: "PUT",
  ...v3("/user/{userId}/account_data/{type}"),
  auth: "required",
  summary: "Set global account data.",
  section: "Client Config",
});

export const setRoomAccountData = endpoint<"userId" | "roomId" | "type", undefined, Json, Json>({
  name: "setRoomAccountData",
  method: "PUT",
  ...v3("/user/{userId}/rooms/{roomId}/account_data/{type}"),
  auth: "required",
  summary: "Set a room's account data.",
  section: "Client Config",
});

// ---- Media -----------------------------------------------------------------------------------------

export const uploadMedia = endpoint<never, { filename?: string }, Uint8Array, { content_uri: string }>({
  name: "uploadMedia",
  method: "POST",
  path: "/_matrix/media/v3/upload",
  aliases: ["/_matrix/media/r0/upload"],
  auth: "required",
  rateLimited: true,
  summary: "Upload a file; the body is its bytes, `Content-Type` its type.",
  section: "Content repository",
});

export const downloadMedia = endpoint<
  "serverName" | "mediaId",
  { timeout_ms?: number },
  undefined,
  Uint8Array
>({
  name: "downloadMedia",
  method: "GET",
  path: `${C}/v1/media/download/{serverName}/{mediaId}`,
  auth: "required",
  summary: "Download a file (authenticated media).",
  section: "Content repository",
});

export const mediaConfig = endpoint<never, undefined, undefined, { "m.upload.size"?: number }>({
  name: "mediaConfig",
  method: "GET",
  path: `${C}/v1/media/config`,
  aliases: ["/_matrix/media/v3/config", "/_matrix/media/r0/config"],
  auth: "required",
  summary: "The content repository's limits.",
  section: "Content repository",
});

// ---- Relations ---------------------------------------------------------------------------------------

export const getRelations = endpoint<
  "roomId" | "eventId",
  { from?: string; to?: string; limit?: number; dir?: "b" | "f"; recurse?: boolean },
  undefined,
  { chunk: ClientEvent[]; next_batch?: string; prev_batch?: string }
>({
  name: "getRelations",
  method: "GET",
  path: `${C}/v1/rooms/{roomId}/relations/{eventId}`,
  auth: "required",
  summary: "The events relating to an event (thread replies, edits, reactions).",
  section: "Relationships",
});

// ---- Push rules ("Push Notifications" module, "Push Rules: API") ---------------------------------------

/** The kinds of push rule, in the order they are evaluated. */
export type PushRuleKind = "override" | "content" | "room" | "sender" | "underride";

/** A push rule as the API shows it (`definitions/push_rule.yaml`). */
export interface PushRule {
  readonly rule_id: string;
  readonly default: boolean;
  readonly enabled: boolean;
  readonly actions: unknown[];
  readonly conditions?: Json[];
  readonly pattern?: string;
}

/** A ruleset: the rules of each kind, in priority order (`definitions/push_ruleset.yaml`). */
export type PushRuleset = Readonly<Record<PushRuleKind, PushRule[]>>;

/** The body of `PUT /pushrules/global/{kind}/{ruleId}`. */
export interface PushRuleBody {
  readonly actions: unknown[];
  readonly conditions?: Json[];
  readonly pattern?: string;
}

export const getPushRules = endpoint<never, undefined, undefined, { global: PushRuleset }>({
  name: "getPushRules",
  method: "GET",
  ...v3("/pushrules/"),
  auth: "required",
  summary: "All the user's push rulesets (only `global`).",
  section: "Push Rules: API",
});

export const getPushRulesGlobal = endpoint<never, undefined, undefined, PushRuleset>({
  name: "getPushRulesGlobal",
  method: "GET",
  ...v3("/pushrules/global/"),
  auth: "required",
  summary: "The user's global push rules.",
  section: "Push Rules: API",
});

export const getPushRule = endpoint<"kind" | "ruleId", undefined, undefined, PushRule>({
  name: "getPushRule",
  method: "GET",
  ...v3("/pushrules/global/{kind}/{ruleId}"),
  auth: "required",
  summary: "One push rule.",
  section: "Push Rules: API",
});

export const setPushRule = endpoint<
  "kind" | "ruleId",
  { before?: string; after?: string },
  PushRuleBody,
  Json
>({
  name: "setPushRule",
  method: "PUT",
  ...v3("/pushrules/global/{kind}/{ruleId}"),
  auth: "required",
  summary: "Add or change a user-defined push rule, placed with `before` or `after`.",
  section: "Push Rules: API",
});

export const deletePushRule = endpoint<"kind" | "ruleId", undefined, undefined, Json>({
  name: "deletePushRule",
  method: "DELETE",
  ...v3("/pushrules/global/{kind}/{ruleId}"),
  auth: "required",
  summary: "Delete a user-defined push rule.",
  section: "Push Rules: API",
});

export const isPushRuleEnabled = endpoint<"kind" | "ruleId", undefined, undefined, { enabled: boolean }>({
  name: "isPushRuleEnabled",
  method: "GET",
  ...v3("/pushrules/global/{kind}/{ruleId}/enabled"),
  auth: "required",
  summary: "Whether a push rule is enabled.",
  section: "Push Rules: API",
});

export const setPushRuleEnabled = endpoint<"kind" | "ruleId", undefined, { enabled: boolean }, Json>({
  name: "setPushRuleEnabled",
  method: "PUT",
  ...v3("/pushrules/global/{kind}/{ruleId}/enabled"),
  auth: "required",
  summary: "Enable or disable a push rule (server-default rules too).",
  section: "Push Rules: API",
});

export const getPushRuleActions = endpoint<"kind" | "ruleId", undefined, undefined, { actions: unknown[] }>({
  name: "getPushRuleActions",
  method: "GET",
  ...v3("/pushrules/global/{kind}/{ruleId}/actions"),
  auth: "required",
  summary: "The actions of a push rule.",
  section: "Push Rules: API",
});

export const setPushRuleActions = endpoint<"kind" | "ruleId", undefined, { actions: unknown[] }, Json>({
  name: "setPushRuleActions",
  method: "PUT",
  ...v3("/pushrules/global/{kind}/{ruleId}/actions"),
  auth: "required",
  summary: "Set the actions of a push rule (server-default rules too).",
  section: "Push Rules: API",
});

/** Every Client-Server endpoint declared here. */
export const CLIENT_ENDPOINTS = [
  getVersions,
  login,
  getLoginFlows,
  register,
  logout,
  whoami,
  refresh,
  sync,
  createFilter,
  createRoom,
  joinRoom,
  leaveRoom,
  inviteUser,
  kickUser,
  banUser,
  unbanUser,
  forgetRoom,
  joinedRooms,
  queryPublicRooms,
  sendMessage,
  setState,
  getStateEvent,
  getState,
  redactEvent,
  getEvent,
  getMessages,
  getMembers,
  getJoinedMembers,
  setTyping,
  sendReceipt,
  setReadMarkers,
  getProfile,
  setProfileField,
  setPresence,
  setAccountData,
  setRoomAccountData,
  uploadMedia,
  downloadMedia,
  mediaConfig,
  getRelations,
  getPushRules,
  getPushRulesGlobal,
  getPushRule,
  setPushRule,
  deletePushRule,
  isPushRuleEnabled,
  setPushRuleEnabled,
  getPushRuleActions,
  setPushRuleActions,
] as const;

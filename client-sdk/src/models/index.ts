/** The client's models: rooms, timelines, members, presence. Pure data, filled by the sync accumulator. */
export {
  type Member,
  type Membership,
  type PowerAction,
  type Receipt,
  Room,
  type RoomContext,
  type RoomSummary,
  type UnreadCounts,
} from "./room.js";
export {
  redactedEventId,
  relatesTo,
  type SendStatus,
  Timeline,
  type TimelineChange,
  TimelineEvent,
  type TimelineSegment,
} from "./timeline.js";
export { type PresenceState, presenceFromEvent, type UserPresence } from "./user.js";

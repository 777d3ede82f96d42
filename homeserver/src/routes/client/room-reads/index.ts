/** The room read routes ("Getting events for a room"). */
import type { Route } from "../../../http/route.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { getContext } from "./get-context.js";
import { getEvent } from "./get-event.js";
import { getJoinedMembers } from "./get-joined-members.js";
import { getMembers } from "./get-members.js";
import { getMessages } from "./get-messages.js";
import { getState } from "./get-state.js";
import { getStateEvent } from "./get-state-event.js";
import { getTimestampToEvent } from "./get-timestamp-to-event.js";

/** Every room read route. */
export function roomReadRoutes(reads: RoomReadService): Route[] {
  return [
    getMessages(reads),
    getContext(reads),
    getEvent(reads),
    getState(reads),
    getStateEvent(reads),
    getMembers(reads),
    getJoinedMembers(reads),
    getTimestampToEvent(reads),
  ];
}

// POST /_matrix/client/v3/createRoom ("Creation")
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import {
  optionalBoolean,
  optionalObject,
  optionalString,
  optionalStringArray,
} from "../../../http/validate.js";
import type { CreateRoomRequest, RoomService } from "../../../services/rooms/room-service.js";

const PRESETS = ["private_chat", "public_chat", "trusted_private_chat"] as const;

/** `POST /createRoom`. */
export function createRoom(rooms: RoomService): Route {
  return {
    ...fromEndpoint(clientApi.createRoom),
    async handler(req) {
      const body = await req.json();
      const visibility = optionalString(body, "visibility");
      if (visibility !== undefined && visibility !== "public" && visibility !== "private") {
        throw new MatrixError("M_BAD_JSON", "'visibility' must be public or private");
      }
      const preset = optionalString(body, "preset");
      if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset)) {
        throw new MatrixError("M_BAD_JSON", `'preset' must be one of ${PRESETS.join(", ")}`);
      }
      const initialState = body.initial_state;
      if (initialState !== undefined && initialState !== null) {
        if (!Array.isArray(initialState))
          throw new MatrixError("M_BAD_JSON", "'initial_state' must be an array");
        for (const s of initialState) {
          const e = s as Record<string, unknown>;
          if (
            typeof e !== "object" ||
            e === null ||
            typeof e.type !== "string" ||
            (e.state_key !== undefined && typeof e.state_key !== "string") ||
            typeof e.content !== "object" ||
            e.content === null ||
            Array.isArray(e.content)
          ) {
            throw new MatrixError(
              "M_BAD_JSON",
              "Each initial_state entry needs type, content and a string state_key",
            );
          }
        }
      }
      const request: CreateRoomRequest = {
        visibility: visibility as CreateRoomRequest["visibility"],
        room_alias_name: optionalString(body, "room_alias_name", 255),
        name: optionalString(body, "name"),
        topic: optionalString(body, "topic"),
        invite: optionalStringArray(body, "invite"),
        room_version: optionalString(body, "room_version", 64),
        creation_content: optionalObject(body, "creation_content"),
        initial_state: (initialState ?? undefined) as CreateRoomRequest["initial_state"],
        preset: preset as CreateRoomRequest["preset"],
        is_direct: optionalBoolean(body, "is_direct"),
        power_level_content_override: optionalObject(body, "power_level_content_override"),
      };
      const created = await rooms.createRoom(req.user().userId, request);
      return ok({ room_id: created.roomId, ...(created.alias ? { room_alias: created.alias } : {}) });
    },
  };
}

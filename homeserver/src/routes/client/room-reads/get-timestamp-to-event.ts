// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event ("Getting events for a room", v1.6)
import { MatrixError } from "@hearth/federation";
import { ok, type Route } from "../../../http/route.js";
import { queryInteger } from "../../../http/validate.js";
import type { RoomReadService } from "../../../services/sync/room-reads.js";
import { roomIdParam } from "../rooms/parse.js";
import { dirParam } from "./parse.js";

/** `GET /rooms/{roomId}/timestamp_to_event`: `ts` and `dir` (both required). */
export function getTimestampToEvent(reads: RoomReadService): Route {
  return {
    method: "GET",
    paths: ["/_matrix/client/v1/rooms/:roomId/timestamp_to_event"],
    auth: "required",
    async handler(req) {
      const roomId = roomIdParam(req.param("roomId"));
      const ts = queryInteger(req.c.req.query("ts"), "ts", 0, Number.MAX_SAFE_INTEGER);
      if (ts === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'ts'");
      const dir = dirParam(req.c.req.query("dir"));
      return ok(await reads.timestampToEvent(req.user(), roomId, ts, dir));
    },
  };
}

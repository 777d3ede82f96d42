/**
 * Server-side key backup routes (Client-Server API, "Server-side key backups"):
 * /room_keys/version[/{version}] and /room_keys/keys[/{roomId}[/{sessionId}]].
 */
import { MatrixError } from "@hearth/federation";
import { ok, type RequestContext, type Route } from "../../../http/route.js";
import { isJsonObject } from "../../../http/validate.js";
import type { KeyBackupService } from "../../../services/e2e-keys/key-backup-service.js";
import { keyPaths } from "./paths.js";

/** The room → session → key data map a `PUT /room_keys/keys…` body names. */
async function uploadedRooms(req: RequestContext): Promise<Record<string, Record<string, unknown>>> {
  const body = await req.json();
  const roomId = req.c.req.param("roomId");
  const sessionId = req.c.req.param("sessionId");
  if (roomId !== undefined && sessionId !== undefined) return { [roomId]: { [sessionId]: body } };
  if (roomId !== undefined) {
    if (!isJsonObject(body.sessions)) throw new MatrixError("M_BAD_JSON", "sessions must be an object");
    return { [roomId]: body.sessions };
  }
  if (!isJsonObject(body.rooms)) throw new MatrixError("M_BAD_JSON", "rooms must be an object");
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, room] of Object.entries(body.rooms)) {
    if (!isJsonObject(room) || !isJsonObject(room.sessions))
      throw new MatrixError("M_BAD_JSON", `rooms.${id}.sessions must be an object`);
    out[id] = room.sessions;
  }
  return out;
}

/** Every key backup route. */
export function roomKeyRoutes(backup: KeyBackupService): Route[] {
  const sessionPaths = [
    "/room_keys/keys",
    "/room_keys/keys/:roomId",
    "/room_keys/keys/:roomId/:sessionId",
  ].flatMap(keyPaths);
  return [
    {
      method: "POST",
      paths: keyPaths("/room_keys/version"),
      auth: "required",
      handler: async (req) => ok(await backup.createVersion(req.user().userId, await req.json())),
    },
    {
      method: "GET",
      paths: [...keyPaths("/room_keys/version"), ...keyPaths("/room_keys/version/:version")],
      auth: "required",
      handler: async (req) => ok(await backup.getVersion(req.user().userId, req.c.req.param("version"))),
    },
    {
      method: "PUT",
      paths: keyPaths("/room_keys/version/:version"),
      auth: "required",
      async handler(req) {
        await backup.updateVersion(req.user().userId, req.param("version"), await req.json());
        return ok({});
      },
    },
    {
      method: "DELETE",
      paths: keyPaths("/room_keys/version/:version"),
      auth: "required",
      async handler(req) {
        await backup.deleteVersion(req.user().userId, req.param("version"));
        return ok({});
      },
    },
    {
      method: "PUT",
      paths: sessionPaths,
      auth: "required",
      handler: async (req) =>
        ok(await backup.putKeys(req.user().userId, req.c.req.query("version"), await uploadedRooms(req))),
    },
    {
      method: "GET",
      paths: sessionPaths,
      auth: "required",
      async handler(req) {
        const roomId = req.c.req.param("roomId");
        const sessionId = req.c.req.param("sessionId");
        const rooms = await backup.getKeys(req.user().userId, req.c.req.query("version"), roomId, sessionId);
        if (roomId !== undefined && sessionId !== undefined) {
          const data = rooms[roomId]?.[sessionId];
          if (!data) throw new MatrixError("M_NOT_FOUND", "No key for this session");
          return ok(data);
        }
        if (roomId !== undefined) return ok({ sessions: rooms[roomId] ?? {} });
        return ok({
          rooms: Object.fromEntries(Object.entries(rooms).map(([id, s]) => [id, { sessions: s }])),
        });
      },
    },
    {
      method: "DELETE",
      paths: sessionPaths,
      auth: "required",
      handler: async (req) =>
        ok(
          await backup.deleteKeys(
            req.user().userId,
            req.c.req.query("version"),
            req.c.req.param("roomId"),
            req.c.req.param("sessionId"),
          ),
        ),
    },
  ];
}

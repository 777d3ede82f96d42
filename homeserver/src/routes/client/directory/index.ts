/**
 * Room directory routes (Client-Server API, "Room aliases", "Listing rooms"):
 * PUT/GET/DELETE /directory/room/{roomAlias}, GET /rooms/{roomId}/aliases,
 * GET/PUT /directory/list/room/{roomId}, GET/POST /publicRooms.
 */
import { clientApi, MatrixError } from "@hearth/federation";
import { clientPaths, fromEndpoint, ok, type Route } from "../../../http/route.js";
import { optionalObject, optionalString, queryInteger, requiredString } from "../../../http/validate.js";
import type { DirectoryService } from "../../../services/rooms/directory-service.js";
import { roomIdParam } from "../rooms/parse.js";

/** Every directory route. */
export function directoryRoutes(directory: DirectoryService): Route[] {
  return [
    // PUT /_matrix/client/v3/directory/room/{roomAlias}
    {
      method: "PUT",
      paths: clientPaths("/directory/room/:roomAlias"),
      auth: "required",
      async handler(req) {
        const body = await req.json();
        await directory.createAlias(
          req.user().userId,
          req.param("roomAlias"),
          roomIdParam(requiredString(body, "room_id")),
        );
        return ok({});
      },
    },
    // GET /_matrix/client/v3/directory/room/{roomAlias}
    {
      method: "GET",
      paths: clientPaths("/directory/room/:roomAlias"),
      auth: "optional",
      guest: true,
      handler: async (req) => ok(await directory.resolveAlias(req.param("roomAlias"))),
    },
    // DELETE /_matrix/client/v3/directory/room/{roomAlias}
    {
      method: "DELETE",
      paths: clientPaths("/directory/room/:roomAlias"),
      auth: "required",
      async handler(req) {
        await directory.deleteAlias(req.user().userId, req.param("roomAlias"));
        return ok({});
      },
    },
    // GET /_matrix/client/v3/rooms/{roomId}/aliases
    {
      method: "GET",
      paths: clientPaths("/rooms/:roomId/aliases"),
      auth: "required",
      handler: async (req) =>
        ok({ aliases: await directory.roomAliases(req.user().userId, roomIdParam(req.param("roomId"))) }),
    },
    // GET /_matrix/client/v3/directory/list/room/{roomId}
    {
      method: "GET",
      paths: clientPaths("/directory/list/room/:roomId"),
      auth: "none",
      handler: async (req) =>
        ok({ visibility: await directory.visibility(roomIdParam(req.param("roomId"))) }),
    },
    // PUT /_matrix/client/v3/directory/list/room/{roomId}
    {
      method: "PUT",
      paths: clientPaths("/directory/list/room/:roomId"),
      auth: "required",
      async handler(req) {
        // Absent is `public` (the spec's default); anything but the two values is M_INVALID_PARAM.
        const visibility = (await req.json()).visibility ?? "public";
        if (visibility !== "public" && visibility !== "private") {
          throw new MatrixError("M_INVALID_PARAM", "visibility must be 'public' or 'private'");
        }
        await directory.setVisibility(req.user().userId, roomIdParam(req.param("roomId")), visibility);
        return ok({});
      },
    },
    // GET /_matrix/client/v3/publicRooms
    {
      method: "GET",
      paths: clientPaths("/publicRooms"),
      auth: "optional",
      guest: true,
      async handler(req) {
        const q = (name: string) => req.c.req.query(name);
        const server = q("server");
        const limit = queryInteger(q("limit"), "limit", 1, 1000);
        const since = q("since");
        return ok(
          await directory.publicRooms({
            ...(limit ? { limit } : {}),
            ...(since ? { since } : {}),
            ...(server ? { server } : {}),
          }),
        );
      },
    },
    // POST /_matrix/client/v3/publicRooms
    {
      ...fromEndpoint(clientApi.queryPublicRooms),
      guest: true,
      async handler(req) {
        const body = await req.json();
        const limit = body.limit;
        if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1)) {
          throw new MatrixError("M_BAD_JSON", "limit must be a positive integer");
        }
        const since = optionalString(body, "since", 64);
        const filter = optionalObject(body, "filter");
        const term = filter ? optionalString(filter, "generic_search_term", 1024) : undefined;
        const roomTypes = filter?.room_types;
        if (
          roomTypes !== undefined &&
          roomTypes !== null &&
          (!Array.isArray(roomTypes) || !roomTypes.every((t) => t === null || typeof t === "string"))
        ) {
          throw new MatrixError("M_BAD_JSON", "'filter.room_types' must be an array of strings and null");
        }
        const server = req.c.req.query("server");
        return ok(
          await directory.publicRooms({
            ...(server ? { server } : {}),
            ...(typeof limit === "number" ? { limit } : {}),
            ...(since ? { since } : {}),
            ...(term ? { search: term } : {}),
            ...(Array.isArray(roomTypes) ? { roomTypes: roomTypes as Array<string | null> } : {}),
          }),
        );
      },
    },
  ];
}

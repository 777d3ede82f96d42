// GET /_matrix/federation/v1/query/directory?room_alias= (Server-Server API, "Querying for information")
import { isValidRoomAlias, MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

/**
 * The room ID of one of our aliases and the servers in the room (ours first, then every server with
 * a joined user). 404 `M_NOT_FOUND` for unknown aliases and for aliases of other servers.
 */
export function getQueryDirectoryRoute(
  deps: Pick<FederationServingDeps, "serverName" | "directory" | "rooms">,
): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/query/directory")],
    auth: "x-matrix",
    async handler(req) {
      const alias = req.query("room_alias");
      if (alias === undefined) throw new MatrixError("M_MISSING_PARAM", "room_alias is required");
      if (!isValidRoomAlias(alias)) throw new MatrixError("M_INVALID_PARAM", "Invalid room alias");
      const record = domainOf(alias) === deps.serverName ? await deps.directory.resolve(alias) : undefined;
      if (record === undefined) throw new MatrixError("M_NOT_FOUND", "Room alias not found.");
      const servers = new Set<string>([deps.serverName]);
      for (const [userId, m] of await deps.rooms.membersOfRoom(record.roomId)) {
        if (m.membership === "join") servers.add(domainOf(userId));
      }
      return ok({ room_id: record.roomId, servers: [...servers] });
    },
  };
}

// GET /_matrix/client/v3/profile/{userId}/{keyName} — Client-Server API, "Profiles".
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { lookupProfile, parseKeyName, parseProfileUser } from "./profile-fields.js";

/** `GET /profile/{userId}/{keyName}`: one field (`displayname`, `avatar_url`, ...) of a local user's profile. */
export function getProfileFieldRoute(deps: AccountRouteDeps): Route {
  return {
    method: "GET",
    paths: clientPaths("/profile/:userId/:keyName"),
    auth: "optional",
    guest: true,
    async handler(req) {
      const userId = parseProfileUser(deps, req.param("userId"));
      const keyName = parseKeyName(req.param("keyName"));
      const profile = await lookupProfile(deps, userId);
      if (!profile) throw new MatrixError("M_NOT_FOUND", "Profile not found");
      const value = profile[keyName];
      if (value === undefined) throw new MatrixError("M_NOT_FOUND", "Profile field not set");
      return ok({ [keyName]: value });
    },
  };
}

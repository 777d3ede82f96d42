// DELETE /_matrix/client/v3/profile/{userId}/{keyName} — Client-Server API, "Profiles" (added in v1.16).
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { assertMayEdit, parseKeyName } from "./profile-fields.js";

/** `DELETE /profile/{userId}/{keyName}`: removes a field of the requester's own profile. */
export function deleteProfileFieldRoute(deps: AccountRouteDeps): Route {
  return {
    method: "DELETE",
    paths: clientPaths("/profile/:userId/:keyName"),
    auth: "required",
    guest: (req) => req.param("keyName") === "displayname",
    async handler(req) {
      const keyName = parseKeyName(req.param("keyName"));
      const userId = await assertMayEdit(deps, req.user(), req.param("userId"));
      await deps.accounts.setProfileField(userId, keyName, undefined);
      return ok({});
    },
  };
}

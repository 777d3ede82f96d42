// PUT /_matrix/client/v3/profile/{userId}/{keyName} — Client-Server API, "Profiles".
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { assertMayEdit, parseKeyName, profileValue } from "./profile-fields.js";

/** `PUT /profile/{userId}/{keyName}`: sets a field of the requester's own profile. */
export function setProfileFieldRoute(deps: AccountRouteDeps): Route {
  return {
    ...fromEndpoint(clientApi.setProfileField),
    // "Guest users may only modify their display name; other profile fields may not be changed."
    guest: (req) => req.param("keyName") === "displayname",
    async handler(req) {
      const keyName = parseKeyName(req.param("keyName"));
      const userId = await assertMayEdit(deps, req.user(), req.param("userId"));
      const body = await req.json();
      if (!Object.hasOwn(body, keyName)) throw new MatrixError("M_MISSING_PARAM", `Missing '${keyName}'`);
      await deps.accounts.setProfileField(userId, keyName, profileValue(keyName, body[keyName]));
      return ok({});
    },
  };
}

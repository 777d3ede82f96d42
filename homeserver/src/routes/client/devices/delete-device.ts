// DELETE /_matrix/client/v3/devices/{deviceId} — Client-Server API, "Device management".

import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalObject } from "../../../http/validate.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `DELETE /devices/{deviceId}`: after `m.login.password` UIA, deletes a device and its tokens. */
export function deleteDeviceRoute(deps: AccountRouteDeps): Route {
  return {
    method: "DELETE",
    paths: clientPaths("/devices/:deviceId"),
    auth: "required",
    async handler(req) {
      const user = req.user();
      const deviceId = req.param("deviceId");
      const body = await req.json();
      const auth = optionalObject(body, "auth");
      await deps.uia.authenticate(auth, {
        op: `delete_device\u0000${deviceId}`,
        userId: user.userId,
        flows: [["m.login.password"]],
      });
      await deps.accounts.deleteDevices(user.userId, [deviceId]);
      return ok({});
    },
  };
}

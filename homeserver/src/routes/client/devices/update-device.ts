// PUT /_matrix/client/v3/devices/{deviceId} — Client-Server API, "Device management".

import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import { type AccountRouteDeps, MAX_DEVICE_FIELD_LENGTH } from "../accounts-deps.js";

/**
 * `PUT /devices/{deviceId}`: renames one of the requester's devices. Creating devices is for
 * application services only, so an unknown device is `M_NOT_FOUND`.
 */
export function updateDeviceRoute(deps: AccountRouteDeps): Route {
  return {
    method: "PUT",
    paths: clientPaths("/devices/:deviceId"),
    auth: "required",
    guest: true,
    async handler(req) {
      const body = await req.json();
      const displayName = optionalString(body, "display_name", MAX_DEVICE_FIELD_LENGTH);
      await deps.accounts.updateDevice(req.user().userId, req.param("deviceId"), displayName);
      return ok({});
    },
  };
}

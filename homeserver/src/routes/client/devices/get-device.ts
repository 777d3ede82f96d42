// GET /_matrix/client/v3/devices/{deviceId} — Client-Server API, "Device management".
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `GET /devices/{deviceId}`: one of the requester's devices. */
export function getDeviceRoute(deps: AccountRouteDeps): Route {
  return {
    method: "GET",
    paths: clientPaths("/devices/:deviceId"),
    auth: "required",
    guest: true,
    async handler(req) {
      const device = await deps.accounts.getDevice(req.user().userId, req.param("deviceId"));
      if (!device) throw new MatrixError("M_NOT_FOUND", "Unknown device");
      return ok(device);
    },
  };
}

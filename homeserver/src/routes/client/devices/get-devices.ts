// GET /_matrix/client/v3/devices — Client-Server API, "Device management".
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `GET /devices`: the requester's devices. */
export function getDevicesRoute(deps: AccountRouteDeps): Route {
  return {
    method: "GET",
    paths: clientPaths("/devices"),
    auth: "required",
    guest: true,
    async handler(req) {
      return ok({ devices: await deps.accounts.listDevices(req.user().userId) });
    },
  };
}

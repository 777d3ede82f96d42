/** Device management routes (Client-Server API, "Device management"). */
import type { Route } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";
import { deleteDeviceRoute } from "./delete-device.js";
import { deleteDevicesRoute } from "./delete-devices.js";
import { getDeviceRoute } from "./get-device.js";
import { getDevicesRoute } from "./get-devices.js";
import { updateDeviceRoute } from "./update-device.js";

/** The device management routes. */
export function deviceRoutes(deps: AccountRouteDeps): Route[] {
  return [
    getDevicesRoute(deps),
    getDeviceRoute(deps),
    updateDeviceRoute(deps),
    deleteDeviceRoute(deps),
    deleteDevicesRoute(deps),
  ];
}

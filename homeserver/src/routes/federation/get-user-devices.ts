// GET /_matrix/federation/v1/user/devices/{userId} (Server-Server API, "Device Management")
import { isValidUserId, MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

/**
 * The devices of one of our users. The spec requires `keys` on every listed device, so only devices
 * that have uploaded identity keys are listed, with their display names; until end-to-end encryption
 * lands no device has keys and the list is empty. `stream_id` is 0 until device lists are tracked.
 */
export function getUserDevicesRoute(
  deps: Pick<FederationServingDeps, "serverName" | "devices" | "deviceKeys">,
): FederationRoute {
  return {
    method: "GET",
    paths: [federationPath("/user/devices/:userId")],
    auth: "x-matrix",
    async handler(req) {
      const userId = req.param("userId");
      if (!isValidUserId(userId)) throw new MatrixError("M_INVALID_PARAM", "Invalid user ID");
      if (domainOf(userId) !== deps.serverName) {
        throw new MatrixError("M_INVALID_PARAM", "The user is not hosted on this server");
      }
      const keys = deps.deviceKeys ? await deps.deviceKeys(userId) : new Map();
      const devices: Record<string, unknown>[] = [];
      for (const device of await deps.devices.listDevices(userId)) {
        const deviceKeys = keys.get(device.device_id);
        if (deviceKeys === undefined) continue;
        devices.push({
          device_id: device.device_id,
          keys: deviceKeys,
          ...(device.display_name !== undefined ? { device_display_name: device.display_name } : {}),
        });
      }
      return ok({ user_id: userId, stream_id: 0, devices });
    },
  };
}

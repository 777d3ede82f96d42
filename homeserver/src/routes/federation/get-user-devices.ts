// GET /_matrix/federation/v1/user/devices/{userId} (Server-Server API, "Device Management")
import { isValidUserId, MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

/**
 * The devices of one of our users, with their identity keys, and the user's master and self-signing
 * keys. The spec requires `keys` on every listed device, so a device that has uploaded no identity
 * keys is left out. `stream_id` is 0: receivers use it only to order `m.device_list_update` EDUs,
 * and a fresh `/user/devices` answer replaces what they had.
 */
export function getUserDevicesRoute(
  deps: Pick<FederationServingDeps, "serverName" | "devices" | "e2eKeys">,
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
      const keys = deps.e2eKeys ? await deps.e2eKeys.queryLocal({ [userId]: [] }) : undefined;
      const deviceKeys = keys?.device_keys[userId] ?? {};
      const devices: Record<string, unknown>[] = [];
      for (const device of await deps.devices.listDevices(userId)) {
        const k = deviceKeys[device.device_id];
        if (k === undefined) continue;
        const { unsigned: _unsigned, ...signed } = k;
        devices.push({
          device_id: device.device_id,
          keys: signed,
          ...(device.display_name !== undefined ? { device_display_name: device.display_name } : {}),
        });
      }
      return ok({
        user_id: userId,
        stream_id: 0,
        devices,
        ...(keys?.master_keys[userId] ? { master_key: keys.master_keys[userId] } : {}),
        ...(keys?.self_signing_keys[userId] ? { self_signing_key: keys.self_signing_keys[userId] } : {}),
      });
    },
  };
}

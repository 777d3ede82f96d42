// POST /_matrix/federation/v1/user/keys/query and POST /_matrix/federation/v1/user/keys/claim (Server-Server API, "End-to-End Encryption")
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import { domainOf, type FederationServingDeps } from "./deps.js";

function objectField(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = body[name];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MatrixError("M_BAD_JSON", `${name} must be an object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Device keys and one-time key claims for our users. Until end-to-end encryption lands there are no
 * keys: each of our users asked about gets an empty device map, and no one-time keys are claimed.
 */
export function userKeysRoutes(
  deps: Pick<FederationServingDeps, "serverName" | "deviceKeys">,
): FederationRoute[] {
  return [
    {
      method: "POST",
      paths: [federationPath("/user/keys/query")],
      auth: "x-matrix",
      async handler(req) {
        const wanted = objectField(await req.json(), "device_keys");
        const deviceKeys: Record<string, Record<string, unknown>> = {};
        for (const [userId, devices] of Object.entries(wanted)) {
          if (domainOf(userId) !== deps.serverName) continue;
          const only = Array.isArray(devices) && devices.length > 0 ? new Set(devices) : undefined;
          const keys = deps.deviceKeys ? await deps.deviceKeys(userId) : new Map();
          const out: Record<string, unknown> = {};
          for (const [deviceId, k] of keys) if (!only || only.has(deviceId)) out[deviceId] = k;
          deviceKeys[userId] = out;
        }
        return ok({ device_keys: deviceKeys });
      },
    },
    {
      method: "POST",
      paths: [federationPath("/user/keys/claim")],
      auth: "x-matrix",
      async handler(req) {
        objectField(await req.json(), "one_time_keys");
        return ok({ one_time_keys: {} });
      },
    },
  ];
}

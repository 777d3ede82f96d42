// POST /_matrix/client/v3/delete_devices — Client-Server API, "Device management".
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import { optionalObject, optionalStringArray } from "../../../http/validate.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

/** `POST /delete_devices`: after `m.login.password` UIA, deletes several devices and their tokens. */
export function deleteDevicesRoute(deps: AccountRouteDeps): Route {
  return {
    method: "POST",
    paths: clientPaths("/delete_devices"),
    auth: "required",
    async handler(req) {
      const user = req.user();
      const body = await req.json();
      const devices = optionalStringArray(body, "devices", 1000);
      if (devices === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'devices'");
      const auth = optionalObject(body, "auth");
      await deps.uia.authenticate(auth, {
        op: "delete_devices",
        userId: user.userId,
        flows: [["m.login.password"]],
      });
      await deps.accounts.deleteDevices(user.userId, devices);
      return ok({});
    },
  };
}

// PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} ("Send-to-Device messaging")
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type Route } from "../../../http/route.js";
import type { DeviceMessages, ToDeviceService } from "../../../services/to-device/to-device-service.js";
import { eventTypeParam, txnIdParam } from "../rooms/parse.js";

/** `PUT /sendToDevice/{eventType}/{txnId}`. */
export function sendToDevice(toDevice: ToDeviceService): Route {
  return {
    method: "PUT",
    paths: clientPaths("/sendToDevice/:eventType/:txnId"),
    auth: "required",
    guest: true,
    rateLimit: "message",
    async handler(req) {
      const user = req.user();
      const body = await req.json();
      const messages = body.messages;
      if (typeof messages !== "object" || messages === null || Array.isArray(messages)) {
        throw new MatrixError("M_BAD_JSON", "'messages' must be an object");
      }
      await toDevice.send(
        user.userId,
        user.deviceId,
        eventTypeParam(req.param("eventType")),
        txnIdParam(req.param("txnId")),
        messages as DeviceMessages,
      );
      return ok({});
    },
  };
}

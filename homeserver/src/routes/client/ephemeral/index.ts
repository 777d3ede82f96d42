/**
 * Ephemeral routes: `PUT /rooms/{roomId}/typing/{userId}` (Typing Notifications) and
 * `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}` (Receipts). `m.fully_read` receipts go to
 * the read-markers route's logic (`readMarkers`), since they are room account data.
 */
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, ok, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import type { ReceiptService } from "../../../services/ephemeral/receipts.js";
import type { TypingService } from "../../../services/ephemeral/typing.js";
import { roomIdParam } from "../rooms/parse.js";

/** Sets the fully-read marker (room account data `m.fully_read`) for a user in a room. */
export type FullyReadSetter = (userId: string, roomId: string, eventId: string) => Promise<void>;

/** The typing, receipt and read-marker routes. */
export function ephemeralRoutes(
  typing: TypingService,
  receipts: ReceiptService,
  setFullyRead: FullyReadSetter,
): Route[] {
  return [
    // PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}
    {
      ...fromEndpoint(clientApi.setTyping),
      guest: true,
      async handler(req) {
        const user = req.user();
        if (req.param("userId") !== user.userId)
          throw new MatrixError("M_FORBIDDEN", "You can only set your own typing");
        const body = await req.json();
        if (typeof body.typing !== "boolean") throw new MatrixError("M_BAD_JSON", "typing must be a boolean");
        const timeout = body.timeout;
        if (
          timeout !== undefined &&
          (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0)
        ) {
          throw new MatrixError("M_BAD_JSON", "timeout must be a non-negative integer");
        }
        await typing.setTyping(
          user.userId,
          roomIdParam(req.param("roomId")),
          body.typing,
          timeout as number | undefined,
        );
        return ok({});
      },
    },
    // POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}
    {
      ...fromEndpoint(clientApi.sendReceipt),
      guest: true,
      async handler(req) {
        const userId = req.user().userId;
        const roomId = roomIdParam(req.param("roomId"));
        const type = req.param("receiptType");
        const eventId = req.param("eventId");
        const body = await req.json();
        const threadId = body.thread_id;
        if (threadId !== undefined && (typeof threadId !== "string" || threadId === "")) {
          throw new MatrixError("M_INVALID_PARAM", "thread_id field must be a non-empty string");
        }
        if (type === "m.fully_read") {
          if (threadId !== undefined)
            throw new MatrixError("M_INVALID_PARAM", "m.fully_read takes no thread_id");
          await setFullyRead(userId, roomId, eventId);
        } else {
          await receipts.send(userId, roomId, type, eventId, threadId as string | undefined);
        }
        return ok({});
      },
    },
    // POST /_matrix/client/v3/rooms/{roomId}/read_markers
    {
      ...fromEndpoint(clientApi.setReadMarkers),
      guest: true,
      async handler(req) {
        const userId = req.user().userId;
        const roomId = roomIdParam(req.param("roomId"));
        const body = await req.json();
        const fullyRead = optionalString(body, "m.fully_read", 255);
        const read = optionalString(body, "m.read", 255);
        const readPrivate = optionalString(body, "m.read.private", 255);
        if (fullyRead !== undefined) await setFullyRead(userId, roomId, fullyRead);
        if (read !== undefined) await receipts.send(userId, roomId, "m.read", read);
        if (readPrivate !== undefined) await receipts.send(userId, roomId, "m.read.private", readPrivate);
        return ok({});
      },
    },
  ];
}

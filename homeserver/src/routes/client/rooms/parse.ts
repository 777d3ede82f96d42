/** Request parsing shared by the room routes. */
import { isValidRoomAlias, isValidRoomId, isValidUserId, MatrixError } from "@hearth/federation";
import { optionalString } from "../../../http/validate.js";

/** A room ID path parameter. */
export function roomIdParam(value: string): string {
  if (!isValidRoomId(value)) throw new MatrixError("M_INVALID_PARAM", `Invalid room ID: ${value}`);
  return value;
}

/** A room ID or alias path parameter. */
export function roomIdOrAliasParam(value: string): string {
  if (!isValidRoomId(value) && !isValidRoomAlias(value)) {
    throw new MatrixError("M_INVALID_PARAM", `Not a room ID or alias: ${value}`);
  }
  return value;
}

/** The `user_id` of a membership request body. */
export function targetUser(body: Record<string, unknown>): string {
  const userId = body.user_id;
  if (userId === undefined) throw new MatrixError("M_MISSING_PARAM", "Missing 'user_id'");
  if (!isValidUserId(userId, { historical: true }))
    throw new MatrixError("M_INVALID_PARAM", "Invalid 'user_id'");
  return userId;
}

/** The optional `reason` of a membership request body. */
export function reason(body: Record<string, unknown>): string | undefined {
  return optionalString(body, "reason", 4096);
}

/** An event type path parameter (at most 255 bytes, per "Size limits"). */
export function eventTypeParam(value: string): string {
  if (value === "" || Buffer.byteLength(value) > 255)
    throw new MatrixError("M_INVALID_PARAM", "Invalid event type");
  return value;
}

/** A transaction ID path parameter. */
export function txnIdParam(value: string): string {
  if (value === "" || value.length > 255) throw new MatrixError("M_INVALID_PARAM", "Invalid transaction ID");
  return value;
}

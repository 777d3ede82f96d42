/** Request parsing shared by the per-user routes (filters, account data). */
import { MatrixError } from "@hearth/federation";
import type { Requester } from "../../../http/route.js";

/**
 * The `{userId}` path parameter, which must be the requester: the access token "must be authorised
 * to make requests for this user ID" (403 `M_FORBIDDEN` otherwise).
 */
export function ownUserParam(value: string, requester: Requester, what: string): string {
  if (value !== requester.userId) throw new MatrixError("M_FORBIDDEN", `Cannot ${what} for other users.`);
  return value;
}

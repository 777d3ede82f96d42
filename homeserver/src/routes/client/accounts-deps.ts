/**
 * What the account, session, device and profile routes use, and the request helpers they share.
 */
import { MatrixError } from "@hearth/federation";
import type { Context } from "hono";
import type { RegistrationMode } from "../../config/config.js";
import type { AccountService } from "../../services/accounts/account-service.js";
import type { UserInteractiveAuth } from "../../services/accounts/uia.js";

/** The dependencies of the account routes. */
export interface AccountRouteDeps {
  readonly accounts: AccountService;
  readonly uia: UserInteractiveAuth;
  readonly registration: RegistrationMode;
  /** Whether guest accounts may be registered (`allow_guest_access`). */
  readonly allowGuestAccess: boolean;
  readonly serverName: string;
  /** Profiles of other servers' users (federation), when federation runs. */
  readonly remoteProfile?: (userId: string) => Promise<Record<string, unknown> | undefined>;
}

/** The longest device ID or device display name accepted. */
export const MAX_DEVICE_FIELD_LENGTH = 255;

/**
 * The optional `device_id` of a login or registration: a non-empty string of at most 255 printable
 * characters (device IDs are opaque, but they are shown to users and become part of keys).
 */
export function optionalDeviceId(body: Record<string, unknown>): string | undefined {
  const v = body.device_id;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new MatrixError("M_BAD_JSON", "'device_id' must be a string");
  if (!isValidDeviceId(v)) {
    throw new MatrixError("M_INVALID_PARAM", "'device_id' must be 1-255 printable characters");
  }
  return v;
}

/** Whether `deviceId` is a device ID this server stores. */
export function isValidDeviceId(deviceId: string): boolean {
  return (
    deviceId.length > 0 &&
    deviceId.length <= MAX_DEVICE_FIELD_LENGTH &&
    ![...deviceId].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
  );
}

/** The client's address: the first `X-Forwarded-For` entry, else the socket's remote address. */
export function clientIp(c: Context): string | undefined {
  const forwarded = c.req.header("x-forwarded-for");
  if (forwarded) return forwarded.split(",")[0]!.trim().slice(0, 64);
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

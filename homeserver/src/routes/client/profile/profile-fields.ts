/**
 * Profile field names and values (Client-Server API, "Profiles" and `PUT /profile/{userId}/{keyName}`).
 */
import { MatrixError, parseUserId, type UserId, userServerName } from "@hearth/federation";
import type { Requester } from "../../../http/route.js";
import type { AccountRouteDeps } from "../accounts-deps.js";

const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

/** The longest display name accepted, in characters. */
export const MAX_DISPLAYNAME_LENGTH = 256;

/** A profile field name from the path: `M_KEY_TOO_LARGE` past 255 bytes, `M_INVALID_PARAM` if malformed. */
export function parseKeyName(keyName: string): string {
  if (Buffer.byteLength(keyName, "utf8") > 255)
    throw new MatrixError("M_KEY_TOO_LARGE", "Profile key too long");
  if (!KEY_NAME.test(keyName)) throw new MatrixError("M_INVALID_PARAM", "Invalid profile key");
  return keyName;
}

/** The user ID from the path: local, or another server's when federation can ask it. */
export function parseProfileUser(deps: AccountRouteDeps, raw: string): UserId {
  const userId = parseUserId(raw, { historical: true });
  if (userServerName(userId) !== deps.serverName && !deps.remoteProfile) {
    throw new MatrixError("M_NOT_FOUND", "Profile not found");
  }
  return userId;
}

/** A user's profile: ours from storage, another server's through federation ("Profiles"). */
export async function lookupProfile(
  deps: AccountRouteDeps,
  userId: UserId,
): Promise<Record<string, unknown> | undefined> {
  if (userServerName(userId) === deps.serverName)
    return (await deps.accounts.getProfile(userId)) as Record<string, unknown> | undefined;
  return deps.remoteProfile?.(userId);
}

/** Only the user themself (or a server admin) may change a profile: `M_FORBIDDEN` otherwise. */
export async function assertMayEdit(
  deps: AccountRouteDeps,
  requester: Requester,
  raw: string,
): Promise<UserId> {
  const userId = parseUserId(raw);
  if (userId !== requester.userId && !(await deps.accounts.isAdmin(requester.userId))) {
    throw new MatrixError("M_FORBIDDEN", "You may only change your own profile");
  }
  if (userServerName(userId) !== deps.serverName) throw new MatrixError("M_FORBIDDEN", "Not a local user");
  return userId;
}

/**
 * Validates the value of a field. `displayname` is a string, `avatar_url` an MXC URI, `m.tz` a
 * string; custom fields take any JSON. Returns `undefined` for a removal.
 */
export function profileValue(keyName: string, value: unknown): unknown {
  switch (keyName) {
    case "displayname":
    case "avatar_url":
      // NOTSPEC: `null` and `""` remove the field rather than storing it; clients have long cleared
      // display names and avatars that way, and member events then simply omit the key.
      if (value === null || value === "") return undefined;
      if (typeof value !== "string") throw new MatrixError("M_BAD_JSON", `'${keyName}' must be a string`);
      if (keyName === "displayname" && value.length > MAX_DISPLAYNAME_LENGTH) {
        throw new MatrixError(
          "M_INVALID_PARAM",
          `'displayname' must be at most ${MAX_DISPLAYNAME_LENGTH} characters`,
        );
      }
      if (keyName === "avatar_url" && (!/^mxc:\/\/[^/\s]+\/[^/\s]+$/.test(value) || value.length > 1024)) {
        throw new MatrixError("M_INVALID_PARAM", "'avatar_url' must be an mxc:// URI");
      }
      return value;
    case "m.tz":
      if (typeof value !== "string" || value.length > 255)
        throw new MatrixError("M_BAD_JSON", "'m.tz' must be a string");
      return value;
    default:
      return value;
  }
}

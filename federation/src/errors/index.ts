/**
 * Matrix errors: one typed error class, and the errcode → HTTP status table.
 *
 * Client-Server API, "Standard error response" and "Common error codes". The HTTP status is never
 * chosen separately from the errcode: it comes from {@link ERRCODE_STATUS}, with an explicit override
 * only where the spec names one (e.g. 405 for `M_UNRECOGNIZED` on a known path with a wrong method).
 */

/** The error codes this server produces. Open to unknown codes received from remote servers. */
export type KnownErrCode =
  | "M_FORBIDDEN"
  | "M_UNKNOWN_TOKEN"
  | "M_MISSING_TOKEN"
  | "M_USER_LOCKED"
  | "M_USER_SUSPENDED"
  | "M_BAD_JSON"
  | "M_NOT_JSON"
  | "M_NOT_FOUND"
  | "M_LIMIT_EXCEEDED"
  | "M_UNRECOGNIZED"
  | "M_UNKNOWN"
  | "M_UNAUTHORIZED"
  | "M_USER_DEACTIVATED"
  | "M_USER_IN_USE"
  | "M_INVALID_USERNAME"
  | "M_ROOM_IN_USE"
  | "M_INVALID_ROOM_STATE"
  | "M_THREEPID_IN_USE"
  | "M_THREEPID_NOT_FOUND"
  | "M_THREEPID_AUTH_FAILED"
  | "M_THREEPID_DENIED"
  | "M_SERVER_NOT_TRUSTED"
  | "M_UNSUPPORTED_ROOM_VERSION"
  | "M_INCOMPATIBLE_ROOM_VERSION"
  | "M_BAD_STATE"
  | "M_GUEST_ACCESS_FORBIDDEN"
  | "M_CAPTCHA_NEEDED"
  | "M_CAPTCHA_INVALID"
  | "M_MISSING_PARAM"
  | "M_INVALID_PARAM"
  | "M_TOO_LARGE"
  | "M_EXCLUSIVE"
  | "M_RESOURCE_LIMIT_EXCEEDED"
  | "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM"
  | "M_WEAK_PASSWORD"
  | "M_UNABLE_TO_AUTHORISE_JOIN"
  | "M_UNABLE_TO_GRANT_JOIN"
  | "M_BAD_ALIAS"
  | "M_DUPLICATE_ANNOTATION"
  | "M_NOT_YET_UPLOADED"
  | "M_CANNOT_OVERWRITE_MEDIA"
  | "M_UNKNOWN_POS"
  | "M_URL_NOT_SET"
  | "M_WRONG_ROOM_KEYS_VERSION"
  | "M_KEY_TOO_LARGE"
  | "M_PROFILE_TOO_LARGE"
  | "M_INVALID_SIGNATURE";

/** An errcode: a known one, or any other string (remote servers may send codes we do not know). */
export type ErrCode = KnownErrCode | (string & {});

/** HTTP status per errcode. Codes not listed map to 400. */
export const ERRCODE_STATUS: Readonly<Record<KnownErrCode, number>> = {
  M_FORBIDDEN: 403,
  M_UNKNOWN_TOKEN: 401,
  M_MISSING_TOKEN: 401,
  M_USER_LOCKED: 401,
  M_USER_SUSPENDED: 403,
  M_BAD_JSON: 400,
  M_NOT_JSON: 400,
  M_NOT_FOUND: 404,
  M_LIMIT_EXCEEDED: 429,
  M_UNRECOGNIZED: 404,
  M_UNKNOWN: 500,
  M_UNAUTHORIZED: 401,
  M_USER_DEACTIVATED: 403,
  M_USER_IN_USE: 400,
  M_INVALID_USERNAME: 400,
  M_ROOM_IN_USE: 400,
  M_INVALID_ROOM_STATE: 400,
  M_THREEPID_IN_USE: 400,
  M_THREEPID_NOT_FOUND: 400,
  M_THREEPID_AUTH_FAILED: 400,
  M_THREEPID_DENIED: 403,
  M_SERVER_NOT_TRUSTED: 403,
  M_UNSUPPORTED_ROOM_VERSION: 400,
  M_INCOMPATIBLE_ROOM_VERSION: 400,
  M_BAD_STATE: 400,
  M_GUEST_ACCESS_FORBIDDEN: 403,
  M_CAPTCHA_NEEDED: 401,
  M_CAPTCHA_INVALID: 400,
  M_MISSING_PARAM: 400,
  M_INVALID_PARAM: 400,
  M_TOO_LARGE: 413,
  M_EXCLUSIVE: 400,
  M_RESOURCE_LIMIT_EXCEEDED: 403,
  M_CANNOT_LEAVE_SERVER_NOTICE_ROOM: 403,
  M_WEAK_PASSWORD: 400,
  M_UNABLE_TO_AUTHORISE_JOIN: 400,
  M_UNABLE_TO_GRANT_JOIN: 400,
  M_BAD_ALIAS: 400,
  M_DUPLICATE_ANNOTATION: 400,
  M_NOT_YET_UPLOADED: 504,
  M_CANNOT_OVERWRITE_MEDIA: 409,
  M_UNKNOWN_POS: 400,
  M_URL_NOT_SET: 400,
  M_WRONG_ROOM_KEYS_VERSION: 403,
  M_KEY_TOO_LARGE: 400,
  M_PROFILE_TOO_LARGE: 400,
  M_INVALID_SIGNATURE: 400,
};

/** The HTTP status for an errcode (400 for codes not in the table). */
export function statusForErrcode(errcode: ErrCode): number {
  return (ERRCODE_STATUS as Record<string, number>)[errcode] ?? 400;
}

/**
 * An error to present to a Matrix client or server as `{errcode, error, ...extra}`.
 * If the error does not make sense to present to a client, it should not be this type.
 */
export class MatrixError extends Error {
  override readonly name: string = "MatrixError";
  /** The HTTP status to answer with; from the errcode table unless the spec names an exception. */
  readonly status: number;

  constructor(
    readonly errcode: ErrCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    status?: number,
  ) {
    super(message);
    this.status = status ?? statusForErrcode(errcode);
  }

  /** The JSON body of the error response. */
  toJSON(): Record<string, unknown> {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

/** Thrown by {@link canonicalJson} and the JSON parsers for values Matrix JSON cannot carry. */
export class CanonicalJsonError extends Error {
  override readonly name: string = "CanonicalJsonError";
}

/** Thrown for a room version this library does not know. Maps to `M_UNSUPPORTED_ROOM_VERSION`. */
export class UnsupportedRoomVersionError extends MatrixError {
  override readonly name: string = "UnsupportedRoomVersionError";
  constructor(readonly roomVersion: string) {
    super("M_UNSUPPORTED_ROOM_VERSION", `Unsupported room version: ${JSON.stringify(roomVersion)}`);
  }
}

/** Thrown for an event that does not have the shape its room version requires. */
export class InvalidEventError extends Error {
  override readonly name: string = "InvalidEventError";
}

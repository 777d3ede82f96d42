/**
 * Errors the SDK raises. Errors from the server are the protocol's typed {@link MatrixError}
 * (`errcode`, `message`, `status`, `extra`) from `@hearth/federation/client`; failures to reach the
 * server at all are {@link ConnectionError}s.
 */
import { MatrixError } from "@hearth/federation/client";

export { type ErrCode, MatrixError } from "@hearth/federation/client";

/**
 * The server could not be reached, or the connection failed before a complete response arrived
 * (refused, reset, timed out). Whether the request took effect on the server is unknown: requests
 * that are idempotent (sends with a transaction ID) can be retried safely.
 */
export class ConnectionError extends Error {
  override readonly name: string = "ConnectionError";
  /** Whether no response came within the request's timeout (rather than the connection failing). */
  readonly timedOut: boolean;
  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(message, options);
    this.timedOut = options?.timedOut ?? false;
  }
}

/** The operation was cancelled (the client stopped, or the caller's `AbortSignal` fired). */
export class AbortedError extends Error {
  override readonly name: string = "AbortedError";
}

/** Whether `e` is a {@link MatrixError} with errcode `errcode`. */
export function isMatrixError(e: unknown, errcode?: string): e is MatrixError {
  return e instanceof MatrixError && (errcode === undefined || e.errcode === errcode);
}

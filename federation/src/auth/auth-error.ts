/**
 * The error the authorization rules throw when an event fails them.
 */

/**
 * An event failed the authorization rules of its room version.
 *
 * `rule` is the number of the failed rule in that room version's own numbering (e.g. `"5.3.2"` in
 * v12 is `"4.3.2"` in v10 and `"5.2.2"` in v1), so it can be looked up in the spec page of the
 * version. The message quotes the rule and what failed. Not a `MatrixError`: a rejected event is not
 * an error to present to a client as is; the client API wraps it (as `M_FORBIDDEN`).
 */
export class AuthError extends Error {
  override readonly name = "AuthError";

  constructor(
    /** The failed rule's number in the room version's numbering, e.g. `"5.3.2"`. */
    readonly rule: string,
    message: string,
  ) {
    super(`auth rule ${rule}: ${message}`);
  }
}

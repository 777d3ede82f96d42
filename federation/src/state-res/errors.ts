/**
 * Errors of state resolution.
 */

/**
 * Some events of the conflicted state set could not be fetched. State resolution cannot decide
 * between events it cannot read, so it stops; the caller should fetch them (e.g. over federation)
 * and retry. Not a `MatrixError`: it is an internal condition, not something to show a client.
 */
export class MissingStateEventError extends Error {
  override readonly name = "MissingStateEventError";

  constructor(
    /** The IDs that `fetchEvent` did not return. */
    readonly eventIds: readonly string[],
  ) {
    super(`state resolution: missing conflicted state events ${eventIds.join(", ")}`);
  }
}

/**
 * The error thrown when an identifier does not match its grammar (appendices, "Identifier Grammar").
 */
import { MatrixError } from "../errors/index.js";

/** Which identifier grammar a value failed. */
export type IdentifierKind = "UserId" | "RoomId" | "EventId" | "RoomAlias" | "ServerName";

/** How much of an offending value an error message quotes. */
const QUOTE_LIMIT = 64;

function quote(value: unknown): string {
  if (typeof value !== "string") return `a value of type ${value === null ? "null" : typeof value}`;
  const shown = value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Thrown by the `parse…` functions of this module for a value that is not a valid identifier of the
 * requested kind. Maps to `M_INVALID_PARAM` (400). Match on `.name` or `instanceof` and `.kind`,
 * never on the message.
 */
export class InvalidIdentifierError extends MatrixError {
  override readonly name: string = "InvalidIdentifierError";

  /**
   * @param kind - the identifier grammar the value failed.
   * @param value - the offending value (quoted, truncated, in the message).
   * @param reason - why it failed, for humans.
   */
  constructor(
    readonly kind: IdentifierKind,
    value: unknown,
    readonly reason: string,
  ) {
    super("M_INVALID_PARAM", `Invalid ${kind} ${quote(value)}: ${reason}`);
  }
}

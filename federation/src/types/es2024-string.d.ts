// String.prototype.isWellFormed is in Node 20 (V8 11.3) but in TypeScript's ES2024 lib, which also
// declares APIs Node 20 lacks (Promise.withResolvers). Declare just this one.
interface String {
  /** Whether the string has no lone surrogates. */
  isWellFormed(): boolean;
}

/**
 * Request validation at the edge. Wrong shapes are `M_BAD_JSON` (body) or `M_INVALID_PARAM` (query and
 * path), missing required fields `M_MISSING_PARAM` (Client-Server API, "Common error codes").
 */
import { MatrixError } from "@hearth/federation";

type Body = Record<string, unknown>;

/** Whether a JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad(field: string, what: string): never {
  throw new MatrixError("M_BAD_JSON", `'${field}' must be ${what}`);
}

/** A required string field. */
export function requiredString(body: Body, field: string, maxLength = 65_536): string {
  const v = body[field];
  if (v === undefined || v === null) throw new MatrixError("M_MISSING_PARAM", `Missing '${field}'`);
  if (typeof v !== "string") bad(field, "a string");
  if (v.length > maxLength) bad(field, `at most ${maxLength} characters`);
  return v;
}

/** An optional string field (`null` counts as absent). */
export function optionalString(body: Body, field: string, maxLength = 65_536): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") bad(field, "a string");
  if (v.length > maxLength) bad(field, `at most ${maxLength} characters`);
  return v;
}

/** An optional boolean field. */
export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") bad(field, "a boolean");
  return v;
}

/** An optional integer field within bounds. */
export function optionalInteger(
  body: Body,
  field: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    bad(field, `an integer between ${min} and ${max}`);
  }
  return v;
}

/** An optional JSON object field. */
export function optionalObject(body: Body, field: string): Record<string, unknown> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) bad(field, "an object");
  return v as Record<string, unknown>;
}

/** An optional array of strings. */
export function optionalStringArray(body: Body, field: string, maxItems = 1000): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > maxItems || !v.every((x) => typeof x === "string")) {
    bad(field, `an array of at most ${maxItems} strings`);
  }
  return v as string[];
}

/** An optional integer query parameter within bounds. */
export function queryInteger(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^-?\d+$/.test(value)) throw new MatrixError("M_INVALID_PARAM", `'${name}' must be an integer`);
  const n = Number(value);
  if (n < min || n > max)
    throw new MatrixError("M_INVALID_PARAM", `'${name}' must be between ${min} and ${max}`);
  return n;
}

/** An optional boolean query parameter (`true`/`false`). */
export function queryBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new MatrixError("M_INVALID_PARAM", `'${name}' must be true or false`);
}

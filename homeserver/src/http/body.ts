/** Request helpers shared by the client and federation HTTP apps. */
import { MatrixError } from "@hearth/federation";

/**
 * Parses a request body that must be a JSON object: `undefined` for an empty body, `M_NOT_JSON` for
 * anything that is not UTF-8 JSON, `M_BAD_JSON` for JSON that is not an object.
 */
export function parseJsonObject(body: ArrayBuffer | Uint8Array): Record<string, unknown> | undefined {
  if (body.byteLength === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new MatrixError("M_NOT_JSON", "Content not JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MatrixError("M_BAD_JSON", "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Turns a Hono path pattern into a regex over the raw path, to answer 405 for known paths. */
export function pathPatternRegex(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

/** Request helpers shared by the client and federation HTTP apps. */
/** Turns a Hono path pattern into a regex over the raw path, to answer 405 for known paths. */
export function pathPatternRegex(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

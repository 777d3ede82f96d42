/**
 * Server ACLs (`m.room.server_acl`; Client-Server API, "Server Access Control Lists (ACLs) for
 * rooms"; Server-Server API, "Server Access Control Lists (ACLs)"): whether a server may take part in
 * a room. A pure function over the ACL event's content.
 */

/** The server name without its port (ACLs ignore ports). IPv6 literals keep their brackets. */
export function hostOfServerName(serverName: string): string {
  if (serverName.startsWith("[")) {
    const end = serverName.indexOf("]");
    return end === -1 ? serverName : serverName.slice(0, end + 1);
  }
  const colon = serverName.lastIndexOf(":");
  return colon === -1 ? serverName : serverName.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith("[") || /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A glob ("Glob-style matching": `*` any run of characters, `?` exactly one) as a case-insensitive
 * regular expression over the whole string.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "isu");
}

function globs(value: unknown): RegExp[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string").map(globToRegExp);
}

/**
 * Whether `serverName` may take part in a room whose `m.room.server_acl` content is `acl`
 * (`undefined` when the room has none), in the order the spec gives:
 *
 * 1. If there is no `m.room.server_acl` event in the room state, allow.
 * 2. If the server name is an IP address (v4 or v6) literal, and `allow_ip_literals` is present and
 *    `false`, deny.
 * 3. If the server name matches an entry in the `deny` list, deny.
 * 4. If the server name matches an entry in the `allow` list, allow.
 * 5. Otherwise, deny.
 *
 * Ports are not considered; matching is case-insensitive; non-string entries are ignored; a missing
 * `allow` is an empty list (denying everyone).
 */
export function isServerAllowedByAcl(serverName: string, acl: unknown): boolean {
  // 1.
  if (acl === undefined) return true;
  const content = (typeof acl === "object" && acl !== null ? acl : {}) as Record<string, unknown>;
  const host = hostOfServerName(serverName);
  // 2. "Defaults to true if missing or otherwise not a boolean."
  if (content.allow_ip_literals === false && isIpLiteral(host)) return false;
  // 3.
  if (globs(content.deny).some((re) => re.test(host))) return false;
  // 4., 5.
  return globs(content.allow).some((re) => re.test(host));
}

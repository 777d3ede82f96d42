/**
 * Fetching another server's media (Server-Server API, "Content Repository"): first the
 * authenticated `GET /_matrix/federation/v1/media/download/{mediaId}` (spec v1.11; a
 * `multipart/mixed` answer of a JSON part and the content), then, for servers that do not know it
 * (Synapse before 1.11 support, answering 404 or 400 `M_UNRECOGNIZED`), the deprecated
 * `GET /_matrix/media/v3/download/{serverName}/{mediaId}?allow_remote=false` on their federation
 * listener, which older servers serve there.
 */
import { type FederationClient, FederationRequestError } from "@hearth/federation";
import type { MediaContent } from "./media-service.js";

/** Whether an error means "this server does not have that endpoint" (so try the older one). */
function unrecognized(e: unknown): boolean {
  return (
    e instanceof FederationRequestError &&
    (e.errcode === "M_UNRECOGNIZED" || (e.errcode === undefined && (e.status === 404 || e.status === 405)))
  );
}

export async function fetchRemoteMedia(
  client: Pick<FederationClient, "request">,
  server: string,
  mediaId: string,
  timeoutMs: number,
): Promise<MediaContent> {
  const id = encodeURIComponent(mediaId);
  try {
    const res = await client.request(server, "GET", `/_matrix/federation/v1/media/download/${id}`, {
      binary: true,
      timeoutMs: Math.max(timeoutMs, 10_000),
    });
    const content = parseMultipartMedia(res.bytes ?? new Uint8Array(), res.contentType ?? "");
    if (!content) throw new Error(`${server} answered the media download with no content part`);
    return content;
  } catch (e) {
    if (!unrecognized(e)) throw e;
  }
  const res = await client.request(
    server,
    "GET",
    `/_matrix/media/v3/download/${encodeURIComponent(server)}/${id}`,
    { binary: true, query: { allow_remote: "false" }, timeoutMs: Math.max(timeoutMs, 10_000) },
  );
  const fileName = res.contentDisposition ? fileNameOf(res.contentDisposition) : undefined;
  return {
    bytes: res.bytes ?? new Uint8Array(),
    contentType: res.contentType ?? "application/octet-stream",
    ...(fileName ? { fileName } : {}),
  };
}

/** The file name in a `Content-Disposition` header (`filename*=utf-8''…` preferred). */
export function fileNameOf(disposition: string): string | undefined {
  const star = /filename\*\s*=\s*(?:utf-8|UTF-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      return undefined;
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/.exec(disposition);
  return plain ? (plain[1] ?? plain[2]) : undefined;
}

/**
 * The content part of a `multipart/mixed` media answer: the second part (the first is the JSON
 * metadata), with its `Content-Type` and file name. Undefined when the body is not such an answer,
 * or the content part is a redirect (`Location`), which is not followed.
 */
export function parseMultipartMedia(body: Uint8Array, contentType: string): MediaContent | undefined {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!/^multipart\/mixed/i.test(contentType) || !m) return undefined;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let at = buf.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (buf.subarray(start, start + 2).toString() === "--") break;
    const next = buf.indexOf(delimiter, start);
    if (next < 0) break;
    // Between the delimiter's CRLF and the CRLF before the next delimiter.
    let end = next;
    if (buf[end - 2] === 0x0d && buf[end - 1] === 0x0a) end -= 2;
    parts.push(buf.subarray(start + 2, end));
    at = next;
  }
  const content = parts[1];
  if (!content) return undefined;
  const split = content.indexOf("\r\n\r\n");
  if (split < 0) return undefined;
  const headers = new Map<string, string>();
  for (const line of content.subarray(0, split).toString("utf8").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  if (headers.has("location")) return undefined;
  const fileName = headers.get("content-disposition")
    ? fileNameOf(headers.get("content-disposition")!)
    : undefined;
  return {
    bytes: new Uint8Array(content.subarray(split + 4)),
    contentType: headers.get("content-type") ?? "application/octet-stream",
    ...(fileName ? { fileName } : {}),
  };
}

/** A `multipart/mixed` media answer (for our federation endpoint): its body and `Content-Type`. */
export function multipartMedia(
  content: MediaContent,
  boundary: string,
): { bytes: Uint8Array; contentType: string } {
  const disposition = content.fileName
    ? `\r\nContent-Disposition: attachment; filename*=utf-8''${encodeURIComponent(content.fileName)}`
    : "";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${content.contentType}${disposition}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    bytes: new Uint8Array(Buffer.concat([head, Buffer.from(content.bytes), tail])),
    contentType: `multipart/mixed; boundary=${boundary}`,
  };
}

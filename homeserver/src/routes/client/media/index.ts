/**
 * Content repository routes (Client-Server API, "Content repository"): uploads
 * (`POST /_matrix/media/v3/upload`, `POST /_matrix/media/v1/create`,
 * `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}`), the authenticated
 * `/_matrix/client/v1/media/{config,download,thumbnail}` endpoints and their deprecated
 * unauthenticated `/_matrix/media/v3/…` forms, which clients and older servers still use.
 */
import { clientApi, MatrixError } from "@hearth/federation";
import { fromEndpoint, type RequestContext, type Route, type RouteResponse } from "../../../http/route.js";
import { queryBoolean, queryInteger } from "../../../http/validate.js";
import type { MediaContent, MediaService } from "../../../services/media/media-service.js";

/** Types served `inline` ("Serving inline content"); everything else is an `attachment`. */
const INLINE_TYPES = new Set([
  "text/css",
  "text/plain",
  "text/csv",
  "application/json",
  "application/ld+json",
  "image/jpeg",
  "image/gif",
  "image/png",
  "image/apng",
  "image/webp",
  "image/avif",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
  "audio/mp4",
  "audio/webm",
  "audio/aac",
  "audio/mpeg",
  "audio/ogg",
  "audio/wave",
  "audio/wav",
  "audio/x-wav",
  "audio/x-pn-wav",
  "audio/flac",
  "audio/x-flac",
]);

/** The response headers the spec recommends for served content. */
function served(content: MediaContent, fileName?: string): RouteResponse {
  const type = content.contentType.split(";")[0]!.trim().toLowerCase();
  const disposition = INLINE_TYPES.has(type) ? "inline" : "attachment";
  const name = fileName ?? content.fileName;
  return {
    body: undefined,
    raw: { bytes: content.bytes, contentType: content.contentType },
    headers: {
      "Content-Disposition": name
        ? `${disposition}; filename*=utf-8''${encodeURIComponent(name)}`
        : disposition,
      "Content-Security-Policy":
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
      "Cross-Origin-Resource-Policy": "cross-origin",
      "Cache-Control": "public, max-age=86400, immutable",
    },
  };
}

/** Content-Type of an upload (the header; `application/octet-stream` when absent). */
function uploadType(req: RequestContext): string {
  return req.c.req.header("content-type") ?? "application/octet-stream";
}

/** Every media route. */
export function mediaRoutes(media: MediaService, maxUploadBytes: number): Route[] {
  const download = (authenticated: boolean) => async (req: RequestContext) => {
    const q = (name: string) => req.c.req.query(name);
    const allowRemote = authenticated ? true : (queryBoolean(q("allow_remote"), "allow_remote") ?? true);
    const timeoutMs = queryInteger(q("timeout_ms"), "timeout_ms", 0, 24 * 60 * 60 * 1000);
    const content = await media.download(req.param("serverName"), req.param("mediaId"), {
      allowRemote,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    const fileName = req.c.req.param("fileName");
    return served(content, fileName);
  };
  const thumbnail = (authenticated: boolean) => async (req: RequestContext) => {
    const q = (name: string) => req.c.req.query(name);
    queryInteger(q("width"), "width", 1, 100_000);
    queryInteger(q("height"), "height", 1, 100_000);
    const method = q("method");
    if (method !== undefined && method !== "crop" && method !== "scale") {
      throw new MatrixError("M_INVALID_PARAM", "method must be crop or scale");
    }
    const allowRemote = authenticated ? true : (queryBoolean(q("allow_remote"), "allow_remote") ?? true);
    return served(await media.thumbnail(req.param("serverName"), req.param("mediaId"), { allowRemote }));
  };
  const withName = (base: string) => [base, `${base}/:fileName`];
  return [
    {
      ...fromEndpoint(clientApi.uploadMedia),
      rateLimit: "message",
      async handler(req) {
        const bytes = await req.bytes(maxUploadBytes);
        const fileName = req.c.req.query("filename");
        return {
          body: { content_uri: await media.upload(req.user().userId, bytes, uploadType(req), fileName) },
        };
      },
    },
    {
      method: "POST",
      paths: ["/_matrix/media/v1/create"],
      auth: "required",
      rateLimit: "message",
      handler: async (req) => ({ body: await media.create(req.user().userId) }),
    },
    {
      method: "PUT",
      paths: ["/_matrix/media/v3/upload/:serverName/:mediaId"],
      auth: "required",
      async handler(req) {
        const bytes = await req.bytes(maxUploadBytes);
        await media.uploadReserved(
          req.user().userId,
          req.param("serverName"),
          req.param("mediaId"),
          bytes,
          uploadType(req),
          req.c.req.query("filename"),
        );
        return { body: {} };
      },
    },
    {
      ...fromEndpoint(clientApi.mediaConfig),
      guest: true,
      handler: () => ({ body: media.config() }),
    },
    {
      ...fromEndpoint(clientApi.downloadMedia, [
        "/_matrix/client/v1/media/download/:serverName/:mediaId/:fileName",
      ]),
      guest: true,
      handler: download(true),
    },
    {
      method: "GET",
      paths: [
        ...withName("/_matrix/media/v3/download/:serverName/:mediaId"),
        ...withName("/_matrix/media/r0/download/:serverName/:mediaId"),
      ],
      auth: "none",
      handler: download(false),
    },
    {
      method: "GET",
      paths: ["/_matrix/client/v1/media/thumbnail/:serverName/:mediaId"],
      auth: "required",
      guest: true,
      handler: thumbnail(true),
    },
    {
      method: "GET",
      paths: [
        "/_matrix/media/v3/thumbnail/:serverName/:mediaId",
        "/_matrix/media/r0/thumbnail/:serverName/:mediaId",
      ],
      auth: "none",
      handler: thumbnail(false),
    },
  ];
}

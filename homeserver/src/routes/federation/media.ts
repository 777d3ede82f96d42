// GET /_matrix/federation/v1/media/download/{mediaId} and /thumbnail/{mediaId} (Server-Server API,
// "Content Repository"), and the deprecated GET /_matrix/media/{v3,r0}/download/{serverName}/{mediaId}
// that servers without the v1.11 endpoints fetch from our federation listener.
import { randomBytes } from "node:crypto";
import { MatrixError } from "@hearth/federation";
import { type FederationRoute, federationPath } from "../../federation/route.js";
import type { MediaService } from "../../services/media/media-service.js";
import { multipartMedia } from "../../services/media/remote-media.js";

/** Our media for other servers: only our own (never what we fetched from a third server). */
export function federationMediaRoutes(serverName: string, media: MediaService): FederationRoute[] {
  const own = async (mediaId: string) => media.download(serverName, mediaId, { allowRemote: false });
  return [
    {
      method: "GET",
      paths: [federationPath("/media/download/:mediaId")],
      auth: "x-matrix",
      async handler(req) {
        const content = await own(req.param("mediaId"));
        return { body: undefined, raw: multipartMedia(content, randomBytes(12).toString("hex")) };
      },
    },
    {
      method: "GET",
      paths: [federationPath("/media/thumbnail/:mediaId")],
      auth: "x-matrix",
      async handler(req) {
        const content = await media.thumbnail(serverName, req.param("mediaId"), { allowRemote: false });
        return { body: undefined, raw: multipartMedia(content, randomBytes(12).toString("hex")) };
      },
    },
    {
      method: "GET",
      paths: [
        "/_matrix/media/v3/download/:serverName/:mediaId",
        "/_matrix/media/r0/download/:serverName/:mediaId",
        "/_matrix/media/v3/download/:serverName/:mediaId/:fileName",
        "/_matrix/media/r0/download/:serverName/:mediaId/:fileName",
      ],
      auth: "none",
      async handler(req) {
        if (req.param("serverName") !== serverName) throw new MatrixError("M_NOT_FOUND", "Not our media");
        const content = await own(req.param("mediaId"));
        return {
          body: undefined,
          raw: { bytes: content.bytes, contentType: content.contentType },
          headers: content.fileName
            ? {
                "Content-Disposition": `attachment; filename*=utf-8''${encodeURIComponent(content.fileName)}`,
              }
            : { "Content-Disposition": "attachment" },
        };
      },
    },
  ];
}

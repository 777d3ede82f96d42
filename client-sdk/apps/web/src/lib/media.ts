/**
 * Authenticated media: files are downloaded through the SDK with the access token
 * (`/_matrix/client/v1/media/download`) and shown from `blob:` URLs, which the Content-Security-Policy
 * allows for images. Each `mxc://` URI is fetched once per page.
 */
import type { MatrixClient } from "@hearth/client-sdk";
import { useEffect, useState } from "preact/hooks";

const cache = new WeakMap<MatrixClient, Map<string, Promise<string>>>();

/** A `blob:` URL of the file `mxc` (fetched once). */
export function mediaUrl(client: MatrixClient, mxc: string): Promise<string> {
  let byUri = cache.get(client);
  if (!byUri) {
    byUri = new Map();
    cache.set(client, byUri);
  }
  let url = byUri.get(mxc);
  if (!url) {
    url = client
      .downloadMedia(mxc)
      .then(({ data, contentType }) =>
        URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: contentType ?? "" })),
      );
    // A failed download may work later (offline, not yet replicated): forget it.
    url.catch(() => byUri.delete(mxc));
    byUri.set(mxc, url);
  }
  return url;
}

/** The state of a media download for a component. */
export type MediaState = { status: "loading" } | { status: "ready"; url: string } | { status: "error" };

/** The `blob:` URL of `mxc`, loading it when first used. */
export function useMedia(client: MatrixClient, mxc: string | undefined): MediaState | undefined {
  const [state, setState] = useState<MediaState | undefined>(mxc ? { status: "loading" } : undefined);
  useEffect(() => {
    if (!mxc?.startsWith("mxc://")) {
      setState(undefined);
      return;
    }
    let live = true;
    setState({ status: "loading" });
    mediaUrl(client, mxc).then(
      (url) => live && setState({ status: "ready", url }),
      () => live && setState({ status: "error" }),
    );
    return () => {
      live = false;
    };
  }, [client, mxc]);
  return state;
}

/** Saves a file of the room (downloaded through the SDK) under its name. */
export async function saveFile(client: MatrixClient, mxc: string, filename: string): Promise<void> {
  const a = document.createElement("a");
  a.href = await mediaUrl(client, mxc);
  a.download = filename;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
}

/** "1.2 MB". */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

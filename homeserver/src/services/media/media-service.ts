/**
 * The content repository (Client-Server API, "Content repository"): uploads (directly, or reserved
 * with `/create` and uploaded later), downloads of our own media and of other servers' media
 * (fetched over federation once, then served from the local copy), and the upload limit.
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "@hearth/federation";
import { MEDIA_ID_RE, type MediaRecord, type MediaStore } from "../../storage/media.js";

/** Content as served. */
export interface MediaContent {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly fileName?: string;
}

/** What the media service needs. */
export interface MediaDeps {
  readonly serverName: string;
  readonly store: MediaStore;
  readonly maxUploadBytes: number;
  readonly now: () => number;
  /** Fetches another server's content over federation; undefined without federation. */
  readonly fetchRemote?: (server: string, mediaId: string, timeoutMs: number) => Promise<MediaContent>;
}

/** How long a `/create` reservation waits for its upload ("unused_expires_at"). */
const RESERVATION_MS = 24 * 60 * 60 * 1000;
/** Most reservations a user may hold unused at once. */
const MAX_PENDING_PER_USER = 100;
/** Default and largest wait for content reserved but not uploaded yet (`timeout_ms`). */
const DEFAULT_STALL_MS = 20_000;
const MAX_STALL_MS = 60_000;

function newMediaId(): string {
  return randomBytes(18).toString("base64url");
}

/** Uploads and downloads. */
export class MediaService {
  readonly #pendingByUser = new Map<string, number>();

  constructor(private readonly deps: MediaDeps) {}

  /** `m.upload.size` for `/config`. */
  config(): { "m.upload.size": number } {
    return { "m.upload.size": this.deps.maxUploadBytes };
  }

  /** `POST /upload`: stores the content; its `mxc://` URI. */
  async upload(userId: string, bytes: Uint8Array, contentType?: string, fileName?: string): Promise<string> {
    const mediaId = newMediaId();
    await this.deps.store.save(
      this.deps.serverName,
      mediaId,
      bytes,
      this.#record(userId, bytes, contentType, fileName),
    );
    return `mxc://${this.deps.serverName}/${mediaId}`;
  }

  /** `POST /create`: reserves a media ID for a later upload by the same user. */
  async create(userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
    const pending = this.#pendingByUser.get(userId) ?? 0;
    if (pending >= MAX_PENDING_PER_USER) {
      throw new MatrixError("M_LIMIT_EXCEEDED", "Too many media IDs reserved and not uploaded");
    }
    const mediaId = newMediaId();
    const expiresTs = this.deps.now() + RESERVATION_MS;
    await this.deps.store.reserve(this.deps.serverName, mediaId, {
      contentType: "application/octet-stream",
      size: 0,
      userId,
      createdTs: this.deps.now(),
      pending: { expiresTs },
    });
    this.#pendingByUser.set(userId, pending + 1);
    return { content_uri: `mxc://${this.deps.serverName}/${mediaId}`, unused_expires_at: expiresTs };
  }

  /** `PUT /upload/{serverName}/{mediaId}`: the content of a reservation. */
  async uploadReserved(
    userId: string,
    server: string,
    mediaId: string,
    bytes: Uint8Array,
    contentType?: string,
    fileName?: string,
  ): Promise<void> {
    const record =
      server === this.deps.serverName && MEDIA_ID_RE.test(mediaId)
        ? await this.deps.store.get(server, mediaId)
        : undefined;
    if (!record || (record.pending && record.pending.expiresTs < this.deps.now())) {
      throw new MatrixError("M_NOT_FOUND", "Unknown or expired media ID");
    }
    if (record.userId !== userId)
      throw new MatrixError("M_FORBIDDEN", "This media ID was reserved by another user");
    if (!record.pending)
      throw new MatrixError("M_CANNOT_OVERWRITE_MEDIA", "This media ID already has content");
    await this.deps.store.save(server, mediaId, bytes, this.#record(userId, bytes, contentType, fileName));
    this.#pendingByUser.set(userId, Math.max(0, (this.#pendingByUser.get(userId) ?? 1) - 1));
  }

  #record(userId: string, bytes: Uint8Array, contentType?: string, fileName?: string): MediaRecord {
    if (bytes.byteLength > this.deps.maxUploadBytes) {
      throw new MatrixError("M_TOO_LARGE", `Uploads are limited to ${this.deps.maxUploadBytes} bytes`);
    }
    return {
      contentType: contentType || "application/octet-stream",
      ...(fileName ? { fileName } : {}),
      size: bytes.byteLength,
      userId,
      createdTs: this.deps.now(),
    };
  }

  /**
   * Content by server and media ID: ours from storage (waiting up to `timeoutMs` for reserved content
   * to arrive), another server's from our copy or, when `allowRemote`, fetched from that server.
   */
  async download(
    server: string,
    mediaId: string,
    options: { allowRemote?: boolean; timeoutMs?: number } = {},
  ): Promise<MediaContent> {
    if (!MEDIA_ID_RE.test(mediaId)) throw new MatrixError("M_NOT_FOUND", "Unknown media");
    const timeoutMs = Math.min(Math.max(options.timeoutMs ?? DEFAULT_STALL_MS, 0), MAX_STALL_MS);
    const { store } = this.deps;
    if (server === this.deps.serverName) {
      const deadline = this.deps.now() + timeoutMs;
      for (;;) {
        const record = await store.get(server, mediaId);
        if (!record) throw new MatrixError("M_NOT_FOUND", "Unknown media");
        if (!record.pending) return this.#content(server, mediaId, record);
        if (this.deps.now() >= deadline) {
          throw new MatrixError("M_NOT_YET_UPLOADED", "The content has not been uploaded yet");
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const cached = await store.get(server, mediaId);
    if (cached && !cached.pending) return this.#content(server, mediaId, cached);
    if (options.allowRemote === false)
      throw new MatrixError("M_NOT_FOUND", "Unknown media (remote fetch not allowed)");
    if (!this.deps.fetchRemote) throw new MatrixError("M_NOT_FOUND", "Unknown media (no federation)");
    let fetched: MediaContent;
    try {
      fetched = await this.deps.fetchRemote(server, mediaId, timeoutMs);
    } catch (e) {
      if (e instanceof MatrixError) throw e;
      const status = (e as { status?: number }).status;
      if (status === 404) throw new MatrixError("M_NOT_FOUND", `${server} does not have this media`);
      throw new MatrixError(
        "M_UNKNOWN",
        `Could not fetch the media from ${server}: ${(e as Error).message}`,
        {},
        502,
      );
    }
    await store.save(server, mediaId, fetched.bytes, {
      contentType: fetched.contentType,
      ...(fetched.fileName ? { fileName: fetched.fileName } : {}),
      size: fetched.bytes.byteLength,
      createdTs: this.deps.now(),
    });
    return fetched;
  }

  /** A thumbnail of content (the client and federation thumbnail endpoints). */
  async thumbnail(
    server: string,
    mediaId: string,
    options: { allowRemote?: boolean; timeoutMs?: number } = {},
  ): Promise<MediaContent> {
    const content = await this.download(server, mediaId, options);
    // NOTSPEC: no image processing yet, so an image is its own thumbnail (clients scale it); other
    // content has none.
    if (!content.contentType.toLowerCase().startsWith("image/")) {
      throw new MatrixError("M_NOT_FOUND", "No thumbnail for this content type");
    }
    return content;
  }

  async #content(server: string, mediaId: string, record: MediaRecord): Promise<MediaContent> {
    let bytes: Uint8Array;
    try {
      bytes = await this.deps.store.read(server, mediaId);
    } catch (e) {
      // The metadata outlived its file (removed by hand): the content is gone.
      if ((e as { code?: string }).code === "ENOENT") throw new MatrixError("M_NOT_FOUND", "Unknown media");
      throw e;
    }
    return {
      bytes,
      contentType: record.contentType,
      ...(record.fileName ? { fileName: record.fileName } : {}),
    };
  }
}

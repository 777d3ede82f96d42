/**
 * The media repository's storage (Client-Server API, "Content repository"):
 * - `media`: (origin server, media ID) → what is known of the content (type, name, size, uploader;
 *   or a reservation from `/create` not yet uploaded);
 * - the bytes themselves as files under `<data dir>/media/<origin>/<media ID>`, written to a temporary
 *   file, synced and renamed before their metadata is written, so a 200 means both are on disk.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Database, type Keyspace, put } from "./db.js";
import { key } from "./keys.js";

/** What is stored of one piece of content. */
export interface MediaRecord {
  readonly contentType: string;
  readonly fileName?: string;
  readonly size: number;
  /** The local uploader (for our own media). */
  readonly userId?: string;
  readonly createdTs: number;
  /** Reserved by `/create`, not uploaded yet: the bytes are absent until then. */
  readonly pending?: { readonly expiresTs: number };
}

/** Media IDs are opaque identifiers of this grammar (and so safe as file names). */
export const MEDIA_ID_RE = /^[A-Za-z0-9_-]{1,255}$/;

/** Metadata in LevelDB, bytes on disk. */
export class MediaStore {
  readonly #meta: Keyspace<MediaRecord>;

  constructor(
    private readonly db: Database,
    private readonly dir: string,
  ) {
    this.#meta = db.keyspace("media");
  }

  get(origin: string, mediaId: string): Promise<MediaRecord | undefined> {
    return this.#meta.get(key(origin, mediaId));
  }

  #path(origin: string, mediaId: string): { dir: string; file: string } {
    if (!MEDIA_ID_RE.test(mediaId)) throw new Error(`invalid media ID ${mediaId}`);
    const dir = join(this.dir, encodeURIComponent(origin));
    return { dir, file: join(dir, mediaId) };
  }

  /** Stores bytes and their metadata durably (file synced and renamed first, then the record). */
  async save(origin: string, mediaId: string, bytes: Uint8Array, record: MediaRecord): Promise<void> {
    const { dir, file } = this.#path(origin, mediaId);
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, file);
      const dirHandle = await open(dir, "r");
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    await this.db.write([put(this.#meta, key(origin, mediaId), record)]);
  }

  /** Records a reservation (`/create`), without bytes. */
  reserve(origin: string, mediaId: string, record: MediaRecord): Promise<void> {
    return this.db.write([put(this.#meta, key(origin, mediaId), record)]);
  }

  /** The bytes of stored content. */
  read(origin: string, mediaId: string): Promise<Buffer> {
    return readFile(this.#path(origin, mediaId).file);
  }
}

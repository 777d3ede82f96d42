/**
 * A store in one JSON file per client, for Node: written atomically (a temporary file renamed over
 * the old one), so a crash leaves either the previous state or the new one, never half of each.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ClientStore } from "../store/store.js";

/** A {@link ClientStore} in a JSON file. */
export class FileStore implements ClientStore {
  #data: Record<string, unknown> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async #load(): Promise<Record<string, unknown>> {
    if (this.#data) return this.#data;
    try {
      this.#data = JSON.parse(await readFile(this.path, "utf8")) as Record<string, unknown>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.#data = {};
    }
    return this.#data;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.#load())[key] as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    (await this.#load())[key] = value;
    await this.#save();
  }

  async delete(key: string): Promise<void> {
    delete (await this.#load())[key];
    await this.#save();
  }

  async clear(): Promise<void> {
    this.#data = {};
    await this.#writing;
    await rm(this.path, { force: true });
  }

  /** Writes the file (after any write in progress). */
  #save(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const text = JSON.stringify(this.#data ?? {});
      const tmp = `${this.path}.${process.pid}.tmp`;
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.#writing;
  }
}

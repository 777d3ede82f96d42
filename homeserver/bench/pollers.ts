/**
 * Long-polling `/sync` clients: each keeps one `GET /sync?since=…&timeout=…` outstanding at all
 * times, as a real client does, and reports the timeline events each response brings.
 */
import { type BenchUser, syncPath } from "./fixtures.js";
import type { Http } from "./http.js";

/** A timeline event, as far as the benchmarks read it. */
export interface TimelineEvent {
  readonly event_id: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
}

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: TimelineEvent[] } }> };
}

/** The filter every benchmark client uses: a short timeline, as clients ask for. */
export const CLIENT_FILTER = { room: { timeline: { limit: 10 } } };

/** Does an initial sync; returns its `next_batch`. */
export async function initialSync(http: Http, user: BenchUser): Promise<string> {
  return (await http.ok<SyncBody>("GET", syncPath({ filter: CLIENT_FILTER }), user.token)).next_batch;
}

/**
 * An incremental sync that returns at once: brings a client up to date (e.g. with the presence of
 * co-members who came online after its initial sync); returns the new `next_batch`.
 */
export async function catchUp(http: Http, user: BenchUser, since: string): Promise<string> {
  return (await http.ok<SyncBody>("GET", syncPath({ since, timeout: 0, filter: CLIENT_FILTER }), user.token))
    .next_batch;
}

/** One long-polling client. */
export class SyncPoller {
  #active = true;
  #since: string;
  /** Responses received. */
  responses = 0;
  /** Resolves when the loop has ended (after {@link stop}). */
  readonly done: Promise<void>;

  constructor(
    private readonly http: Http,
    private readonly user: BenchUser,
    since: string,
    private readonly timeoutMs: number,
    private readonly onEvent: (event: TimelineEvent, roomId: string, at: number) => void = () => {},
  ) {
    this.#since = since;
    this.done = this.#loop();
  }

  async #loop(): Promise<void> {
    while (this.#active) {
      let body: SyncBody;
      try {
        const res = await this.http.send<SyncBody>(
          "GET",
          syncPath({ since: this.#since, timeout: this.timeoutMs, filter: CLIENT_FILTER }),
          this.user.token,
        );
        if (res.status !== 200) throw new Error(`sync: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        body = res.body;
      } catch (e) {
        if (!this.#active) return;
        throw e;
      }
      const at = performance.now();
      this.responses++;
      this.#since = body.next_batch;
      for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
        for (const ev of room.timeline?.events ?? []) this.onEvent(ev, roomId, at);
      }
    }
  }

  /** Ends the loop once the outstanding poll returns or fails (close the agent to fail it now). */
  stop(): void {
    this.#active = false;
  }
}

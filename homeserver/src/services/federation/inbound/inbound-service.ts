/**
 * Inbound federation: transactions (`PUT /send/{txnId}`) and the remote events in them, through the
 * checks the spec orders ("Checks performed on receipt of a PDU"): format (else dropped), signatures
 * of the required servers (else dropped), content hash (else redacted), then — in the event
 * pipeline — auth against the event's auth events and the state before it (else rejected) and against
 * the current state (else soft-failed). Missing auth events are fetched (`/event_auth`), missing prev
 * events too (`/get_missing_events`, bounded), and if a gap remains, the state at the event
 * (`/state_ids`, then `/event` for what we lack). One bad PDU never blocks the rest of its transaction.
 */
import {
  authEventIds,
  checkEventSignatures,
  checkPduFormat,
  computeEventId,
  type FederationClient,
  jsonValueProblem,
  MAX_FEDERATION_JSON_DEPTH,
  MatrixError,
  type Pdu,
  prevEventIds,
  redactEvent,
  stateMapKey,
  type VerifyKeyLookup,
  verifyContentHash,
} from "@hearth/federation";
import type { Logger } from "pino";
import type { EventStore } from "../../../storage/events.js";
import type { RoomStore } from "../../../storage/rooms.js";
import type { EventPipeline } from "../../events/pipeline.js";

/** Signing keys of other servers: fetched ahead, then read synchronously by the signature checks. */
export interface RemoteKeys {
  /** Fetches (and caches) the keys the events' signatures name. Never throws. */
  prefetchForEvents(events: readonly object[], roomVersion: string): Promise<void>;
  /** A cached key, or undefined. */
  readonly lookupSync: VerifyKeyLookup;
}

/** Where EDUs go. */
export interface EduSink {
  typing(origin: string, content: Record<string, unknown>): Promise<void>;
  receipt(origin: string, content: Record<string, unknown>): Promise<void>;
  presence?(origin: string, content: Record<string, unknown>): Promise<void>;
  toDevice?(origin: string, content: Record<string, unknown>): Promise<void>;
  deviceList?(origin: string, content: Record<string, unknown>): Promise<void>;
  signingKeyUpdate?(origin: string, content: Record<string, unknown>): Promise<void>;
}

/** What the inbound service needs. */
export interface InboundDeps {
  readonly serverName: string;
  readonly pipeline: EventPipeline;
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly keys: RemoteKeys;
  readonly client: FederationClient;
  readonly logger: Logger;
  readonly edus?: EduSink;
  /** Called when a server sends us anything (the sender resets its backoff). */
  readonly onContact?: (origin: string) => void;
  /** Whether the room's `m.room.server_acl` lets `origin` in ("Server Access Control Lists"). */
  readonly serverAllowed?: (origin: string, roomId: string) => Promise<boolean>;
}

/** Most PDUs and EDUs in one transaction ("Transactions"). */
export const MAX_TRANSACTION_PDUS = 50;
export const MAX_TRANSACTION_EDUS = 100;
/** Most missing events fetched to fill one gap before falling back to the state at the event. */
const MISSING_EVENTS_LIMIT = 20;
/** Most auth events fetched one by one for one PDU (when `/event_auth` is not served). */
const MAX_AUTH_FETCH = 200;
/** Most events one repair fetches to fill the gap before a head (gossip, `catchUp`). */
const MAX_REPAIR_EVENTS = 1_000;

/** The per-PDU result of a transaction: `{}` when processed, `{error}` otherwise. */
export type PduResult = Record<string, never> | { error: string };

/** Why a PDU was dropped before reaching the pipeline. */
class DroppedError extends Error {
  override readonly name = "DroppedError";
}

/** Handles inbound transactions and remote events. */
export class InboundService {
  readonly #recent = new Map<string, Promise<Record<string, PduResult>>>();

  constructor(private readonly deps: InboundDeps) {}

  /**
   * `PUT /send/{txnId}`: processes the PDUs (grouped per room, in depth order) and EDUs; returns the
   * per-PDU results. A retry of the same origin and transaction ID gets the same results.
   */
  handleTransaction(
    origin: string,
    txnId: string,
    body: Record<string, unknown>,
  ): Promise<Record<string, PduResult>> {
    const pdus = body.pdus ?? [];
    const edus = body.edus ?? [];
    if (!Array.isArray(pdus) || !Array.isArray(edus))
      throw new MatrixError("M_BAD_JSON", "pdus and edus must be arrays");
    if (pdus.length > MAX_TRANSACTION_PDUS || edus.length > MAX_TRANSACTION_EDUS) {
      throw new MatrixError(
        "M_BAD_JSON",
        `At most ${MAX_TRANSACTION_PDUS} PDUs and ${MAX_TRANSACTION_EDUS} EDUs`,
      );
    }
    const key = `${origin}\u0000${txnId}`;
    const existing = this.#recent.get(key);
    if (existing) return existing;
    const run = this.#process(origin, pdus, edus);
    this.#recent.set(key, run);
    if (this.#recent.size > 1000) this.#recent.delete(this.#recent.keys().next().value!);
    run.catch(() => this.#recent.delete(key));
    return run;
  }

  async #process(origin: string, pdus: unknown[], edus: unknown[]): Promise<Record<string, PduResult>> {
    this.deps.onContact?.(origin);
    const results: Record<string, PduResult> = {};
    const byRoom = new Map<string, Pdu[]>();
    for (const raw of pdus) {
      const pdu = raw as Pdu;
      const roomId = typeof pdu?.room_id === "string" ? pdu.room_id : undefined;
      if (!roomId) continue; // No room: cannot even name it in the results.
      const list = byRoom.get(roomId) ?? [];
      list.push(pdu);
      byRoom.set(roomId, list);
    }
    await Promise.all(
      [...byRoom].map(async ([roomId, list]) => {
        const info = await this.deps.rooms.info(roomId);
        // `depth` is unchecked yet: anything but a number sorts first (and fails the format check).
        const depthOf = (p: Pdu) => (typeof p.depth === "number" ? p.depth : 0);
        list.sort((a, b) => depthOf(a) - depthOf(b));
        for (const pdu of list) {
          let id: string;
          try {
            id = info ? computeEventId(pdu, info.roomVersion) : `${roomId}/${depthOf(pdu)}`;
          } catch {
            continue;
          }
          if (!info) {
            results[id] = { error: "Unknown room" };
            continue;
          }
          if (this.deps.serverAllowed && !(await this.deps.serverAllowed(origin, roomId))) {
            results[id] = { error: "The room's server ACL denies this server" };
            continue;
          }
          try {
            await this.deps.pipeline.inRoom(roomId, () =>
              this.#processPdu(origin, roomId, info.roomVersion, pdu, 0),
            );
            results[id] = {};
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            this.deps.logger.info({ origin, roomId, eventId: id, err: message }, "refused a PDU");
            results[id] = { error: message };
          }
        }
      }),
    );
    for (const edu of edus) await this.#edu(origin, edu);
    return results;
  }

  async #edu(origin: string, edu: unknown): Promise<void> {
    const e = edu as { edu_type?: unknown; content?: unknown };
    if (typeof e?.content !== "object" || e.content === null) return;
    const content = e.content as Record<string, unknown>;
    // The transaction was parsed with lone surrogates allowed (one bad part must not sink the rest):
    // an EDU holding one is dropped, so that nothing of it reaches clients or storage.
    if (jsonValueProblem(content, { maxDepth: MAX_FEDERATION_JSON_DEPTH }) !== undefined) {
      this.deps.logger.debug(
        { origin, eduType: e.edu_type },
        "dropped an EDU that is not valid JSON for Matrix",
      );
      return;
    }
    // Room EDUs from a server a room's ACL denies are dropped ("Server Access Control Lists").
    const roomId = typeof content.room_id === "string" ? content.room_id : undefined;
    if (roomId && this.deps.serverAllowed && !(await this.deps.serverAllowed(origin, roomId))) return;
    try {
      if (e.edu_type === "m.typing") await this.deps.edus?.typing(origin, content);
      else if (e.edu_type === "m.receipt") await this.deps.edus?.receipt(origin, content);
      else if (e.edu_type === "m.presence") await this.deps.edus?.presence?.(origin, content);
      else if (e.edu_type === "m.direct_to_device") await this.deps.edus?.toDevice?.(origin, content);
      else if (e.edu_type === "m.device_list_update") await this.deps.edus?.deviceList?.(origin, content);
      else if (e.edu_type === "m.signing_key_update")
        await this.deps.edus?.signingKeyUpdate?.(origin, content);
    } catch (err) {
      this.deps.logger.debug({ origin, eduType: e.edu_type, err: (err as Error).message }, "ignored an EDU");
    }
  }

  /**
   * A PDU that arrived over gossip, relayed by a peer of server `via` (`specs/gossip.md`,
   * "Validation"): the same checks as a PDU of a transaction, with missing events fetched from `via`
   * (which holds them: it accepted the PDU before relaying it). `accepted`: stored (or already held),
   * relay it; `rejected`: malformed, forged or refused by the authorization rules, penalise the
   * sender; `unavailable`: it could not be judged now (missing events could not be fetched). Unlike a
   * transaction's, a PDU with a wrong content hash is refused rather than redacted (see below).
   */
  async receiveGossiped(
    via: string,
    roomId: string,
    roomVersion: string,
    pdu: Pdu,
  ): Promise<"accepted" | "rejected" | "unavailable"> {
    const info = await this.deps.rooms.info(roomId);
    if (!info) return "unavailable";
    if (info.roomVersion !== roomVersion) return "rejected";
    let eventId: string;
    try {
      eventId = computeEventId(pdu, roomVersion);
    } catch {
      return "rejected";
    }
    const held = await this.deps.events.get(eventId);
    if (held && !held.outlier) return held.rejected ? "rejected" : "accepted";
    // NOTSPEC (gossip only): a PDU whose content hash does not match is refused, not redacted as a
    // transaction's would be. A relay could otherwise alter a message to have it stored redacted
    // under its real event ID, and the genuine copy would then be dropped as a duplicate.
    try {
      checkPduFormat(pdu, roomVersion);
      if (!verifyContentHash(pdu, roomVersion)) return "rejected";
    } catch {
      return "rejected";
    }
    const senderServer = typeof pdu.sender === "string" ? pdu.sender.slice(pdu.sender.indexOf(":") + 1) : "";
    if (this.deps.serverAllowed) {
      if (!(await this.deps.serverAllowed(senderServer, roomId))) return "rejected";
      if (!(await this.deps.serverAllowed(via, roomId))) return "rejected";
    }
    try {
      await this.deps.pipeline.inRoom(roomId, () => this.#processPdu(via, roomId, roomVersion, pdu, 0));
      const stored = await this.deps.events.get(eventId);
      return stored?.rejected ? "rejected" : "accepted";
    } catch (e) {
      if (e instanceof DroppedError || (e instanceof Error && e.message.startsWith("rejected:"))) {
        this.deps.logger.info({ via, roomId, eventId, err: e.message }, "refused a gossiped PDU");
        return "rejected";
      }
      this.deps.logger.info(
        { via, roomId, eventId, err: (e as Error).message },
        "could not take a gossiped PDU",
      );
      return "unavailable";
    }
  }

  /**
   * Repair (`specs/gossip.md`, "Repair"): fetches the events `heads` that we lack, and the gap between
   * them and our forward extremities, from the first of `servers` that answers; then runs them
   * through the checks, oldest first. The gap is walked back with `/get_missing_events`, 100 events a
   * request, up to {@link MAX_REPAIR_EVENTS}; past that the state at the oldest event is fetched
   * instead (as for any PDU), and `/messages` backfills the rest on demand. Returns how many heads we
   * now hold.
   */
  async catchUp(servers: readonly string[], roomId: string, heads: readonly string[]): Promise<number> {
    const info = await this.deps.rooms.info(roomId);
    if (!info) return 0;
    const missing = await this.#missing(heads, true);
    if (missing.length === 0) return heads.length;
    for (const server of servers) {
      if (server === this.deps.serverName) continue;
      let fetched: Pdu[];
      try {
        fetched = await this.#pullGap(server, roomId, info.roomVersion, missing);
      } catch (e) {
        this.deps.logger.debug({ server, roomId, err: (e as Error).message }, "repair: fetch failed");
        continue;
      }
      const depthOf = (p: Pdu) => (typeof p.depth === "number" ? p.depth : 0);
      fetched.sort((a, b) => depthOf(a) - depthOf(b));
      for (const pdu of fetched) {
        try {
          await this.deps.pipeline.inRoom(roomId, () =>
            this.#processPdu(server, roomId, info.roomVersion, pdu, 0),
          );
        } catch (e) {
          this.deps.logger.info(
            { server, roomId, err: (e as Error).message },
            "repair: an event was refused",
          );
        }
      }
      if ((await this.#missing(missing, true)).length === 0) break;
    }
    return heads.length - (await this.#missing(heads, true)).length;
  }

  /** The events `heads` (by `/event`) and the gap before them (by `/get_missing_events`) from `server`. */
  async #pullGap(
    server: string,
    roomId: string,
    roomVersion: string,
    heads: readonly string[],
  ): Promise<Pdu[]> {
    const out = new Map<string, Pdu>();
    for (const id of heads) {
      const res = (await this.deps.client.request(
        server,
        "GET",
        `/_matrix/federation/v1/event/${encodeURIComponent(id)}`,
        {
          timeoutMs: 10_000,
        },
      )) as { json?: { pdus?: unknown } };
      const pdu = Array.isArray(res.json?.pdus) ? (res.json.pdus[0] as Pdu | undefined) : undefined;
      if (pdu && typeof pdu === "object" && computeEventId(pdu, roomVersion) === id) out.set(id, pdu);
    }
    const earliest = [...(await this.deps.rooms.extremities(roomId)).keys()];
    let latest = [...out.keys()];
    while (latest.length > 0 && out.size < MAX_REPAIR_EVENTS) {
      const res = (await this.deps.client.request(
        server,
        "POST",
        `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`,
        {
          body: { earliest_events: earliest, latest_events: latest, limit: 100, min_depth: 0 },
          timeoutMs: 10_000,
        },
      )) as { json?: { events?: unknown } };
      const batch = Array.isArray(res.json?.events) ? (res.json.events as Pdu[]) : [];
      const added: Pdu[] = [];
      for (const pdu of batch) {
        if (typeof pdu !== "object" || pdu === null) continue;
        let id: string;
        try {
          id = computeEventId(pdu, roomVersion);
        } catch {
          continue;
        }
        if (!out.has(id)) {
          out.set(id, pdu);
          added.push(pdu);
        }
      }
      // Walk on from the prev events of what came back that we hold neither here nor in storage.
      const prevs = [...new Set(added.flatMap((p) => prevEventIds(p)))].filter((id) => !out.has(id));
      latest = await this.#missing(prevs, true);
      // The frontier to ask about next is the events whose prevs we lack.
      latest = added
        .filter((p) => prevEventIds(p).some((id) => latest.includes(id)))
        .map((p) => computeEventId(p, roomVersion));
      if (added.length === 0) break;
    }
    return [...out.values()];
  }

  /**
   * Checks format, signatures and content hash of a remote event (steps 1–3). Returns the event to
   * use (redacted when the hash did not match); throws DroppedError when it must be dropped.
   */
  async verify(pdu: Pdu, roomVersion: string): Promise<Pdu> {
    try {
      checkPduFormat(pdu, roomVersion);
    } catch (e) {
      throw new DroppedError(`invalid event: ${(e as Error).message}`);
    }
    await this.deps.keys.prefetchForEvents([pdu], roomVersion);
    const failures = checkEventSignatures(pdu, roomVersion, this.deps.keys.lookupSync);
    if (failures.length > 0) {
      const f = failures[0]!;
      throw new DroppedError(`bad signature: ${f.serverName} (${f.reason})`);
    }
    if (!verifyContentHash(pdu, roomVersion)) return redactEvent(pdu, roomVersion);
    return pdu;
  }

  /**
   * Verifies many events at once (keys fetched in one go): the events that pass, each with its ID,
   * in the same order; failures are logged and left out.
   */
  async verifyMany(pdus: readonly Pdu[], roomVersion: string): Promise<Array<{ pdu: Pdu; id: string }>> {
    const wellFormed: Pdu[] = [];
    for (const p of pdus) {
      try {
        checkPduFormat(p, roomVersion);
        wellFormed.push(p);
      } catch (e) {
        this.deps.logger.info({ err: (e as Error).message }, "dropped an invalid event");
      }
    }
    await this.deps.keys.prefetchForEvents(wellFormed, roomVersion);
    const out: Array<{ pdu: Pdu; id: string }> = [];
    for (const p of wellFormed) {
      const failures = checkEventSignatures(p, roomVersion, this.deps.keys.lookupSync);
      if (failures.length > 0) {
        this.deps.logger.info(
          { server: failures[0]!.serverName, reason: failures[0]!.reason },
          "dropped an event: signature",
        );
        continue;
      }
      const pdu = verifyContentHash(p, roomVersion) ? p : redactEvent(p, roomVersion);
      out.push({ pdu, id: computeEventId(pdu, roomVersion) });
    }
    return out;
  }

  /** Runs one remote event through the checks and into the pipeline (inside the room's queue). */
  async #processPdu(
    origin: string,
    roomId: string,
    roomVersion: string,
    raw: Pdu,
    depth: number,
  ): Promise<void> {
    const { pipeline, events } = this.deps;
    const pdu = await this.verify(raw, roomVersion);
    const eventId = computeEventId(pdu, roomVersion);
    const existing = await events.get(eventId);
    if (existing && !existing.outlier) return;
    if (existing?.outlier && (await this.#olderThanTimeline(roomId, pdu))) {
      // Held as state or auth chain (e.g. from send_join) and older than everything in our timeline:
      // history, not news. Taking it for a new event would fork the room around our join.
      // NOTSPEC: a new event on a fork older than our join is skipped here too (rare; /messages
      // backfill still reaches history).
      return;
    }

    await this.#ensureAuthEvents(origin, roomId, roomVersion, pdu, eventId);

    const missingPrevs = await this.#missing(prevEventIds(pdu), true);
    let stateBefore: ReadonlyMap<string, string> | undefined;
    if (missingPrevs.length > 0 && depth === 0) {
      await this.#fetchMissingEvents(origin, roomId, roomVersion, pdu, eventId);
    }
    if ((await this.#missing(prevEventIds(pdu), true)).length > 0) {
      stateBefore = await this.stateAt(origin, roomId, roomVersion, eventId);
    }
    const result = await pipeline.persistRemote(roomId, roomVersion, pdu, stateBefore ? { stateBefore } : {});
    if (result.outcome === "rejected") {
      this.deps.logger.info({ eventId, reason: result.reason }, "rejected a PDU");
      // Stored as rejected, and reported as an error in the transaction's per-PDU results (an
      // event that fails the auth rules, e.g. from a server whose users are not in the room, was
      // not "successfully handled").
      throw new Error(`rejected: ${result.reason ?? "failed the authorization rules"}`);
    }
  }

  /** Whether an event is older (lower depth) than the oldest event of the room's timeline. */
  async #olderThanTimeline(roomId: string, pdu: Pdu): Promise<boolean> {
    const [earliest] = await this.deps.events.topological(roomId, { dir: "f", limit: 1 });
    return earliest !== undefined && (pdu.depth ?? 0) < earliest.depth;
  }

  /** The IDs among `ids` that are not stored (or only as outliers, when `timeline`). */
  async #missing(ids: readonly string[], timeline: boolean): Promise<string[]> {
    const evs = await this.deps.events.getMany(ids);
    return ids.filter((_, i) => !evs[i] || (timeline && evs[i]!.outlier));
  }

  /** Fetches and stores (as outliers) the auth chain of an event whose auth events we lack. */
  ensureAuthEvents(
    origin: string,
    roomId: string,
    roomVersion: string,
    pdu: Pdu,
    eventId: string,
  ): Promise<void> {
    return this.#ensureAuthEvents(origin, roomId, roomVersion, pdu, eventId);
  }

  async #ensureAuthEvents(origin: string, roomId: string, roomVersion: string, pdu: Pdu, eventId: string) {
    if ((await this.#missing(authEventIds(pdu), false)).length === 0) return;
    try {
      const res = (await this.deps.client.request(
        origin,
        "GET",
        `/_matrix/federation/v1/event_auth/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
      )) as { json?: { auth_chain?: unknown } };
      const chain = Array.isArray(res.json?.auth_chain) ? (res.json.auth_chain as Pdu[]) : [];
      await this.persistOutliers(roomId, roomVersion, chain);
    } catch (e) {
      // `/event_auth` is not served by every server: a failure here must not sink the PDU.
      this.deps.logger.info(
        { origin, roomId, err: (e as Error).message },
        "event_auth failed; fetching one by one",
      );
    }
    await this.#fetchAuthEventsOneByOne(origin, roomId, roomVersion, authEventIds(pdu));
  }

  /**
   * Fetches missing auth events with `/event/{eventId}`, walking down their own auth events,
   * breadth-first, up to {@link MAX_AUTH_FETCH} events; stores what verifies as outliers.
   */
  async #fetchAuthEventsOneByOne(
    origin: string,
    roomId: string,
    roomVersion: string,
    ids: readonly string[],
  ) {
    let wanted = await this.#missing(ids, false);
    const fetched = new Map<string, Pdu>();
    while (wanted.length > 0 && fetched.size < MAX_AUTH_FETCH) {
      const next: string[] = [];
      for (const id of wanted) {
        if (fetched.has(id) || fetched.size >= MAX_AUTH_FETCH) continue;
        try {
          const res = (await this.deps.client.request(
            origin,
            "GET",
            `/_matrix/federation/v1/event/${encodeURIComponent(id)}`,
          )) as { json?: { pdus?: unknown } };
          const p = Array.isArray(res.json?.pdus) ? (res.json.pdus[0] as Pdu | undefined) : undefined;
          if (!p || typeof p !== "object" || computeEventId(p, roomVersion) !== id) continue;
          fetched.set(id, p);
          next.push(...authEventIds(p));
        } catch (e) {
          this.deps.logger.info({ origin, id, err: (e as Error).message }, "could not fetch an auth event");
        }
      }
      wanted = (await this.#missing([...new Set(next)], false)).filter((id) => !fetched.has(id));
    }
    if (fetched.size > 0) await this.persistOutliers(roomId, roomVersion, [...fetched.values()]);
  }

  /** Verifies events and stores them as outliers, auth events before the events they authorise. */
  async persistOutliers(roomId: string, roomVersion: string, pdus: readonly Pdu[]): Promise<void> {
    const ordered = orderByAuth(await this.verifyMany(pdus, roomVersion));
    await this.deps.pipeline.persistOutliers(
      roomId,
      roomVersion,
      ordered.map((e) => e.pdu),
      ordered.map((e) => e.id),
    );
  }

  /** `/get_missing_events` for the gap before `pdu`, then processes what came back, oldest first. */
  async #fetchMissingEvents(origin: string, roomId: string, roomVersion: string, pdu: Pdu, eventId: string) {
    const extremities = [...(await this.deps.rooms.extremities(roomId)).keys()];
    let fetched: Pdu[] = [];
    try {
      const res = (await this.deps.client.request(
        origin,
        "POST",
        `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`,
        {
          body: {
            earliest_events: extremities,
            latest_events: [eventId],
            limit: MISSING_EVENTS_LIMIT,
            min_depth: Math.max(0, (pdu.depth ?? 0) - MISSING_EVENTS_LIMIT * 5),
          },
        },
      )) as { json?: { events?: unknown } };
      fetched = Array.isArray(res.json?.events) ? (res.json.events as Pdu[]) : [];
    } catch (e) {
      this.deps.logger.info({ origin, roomId, err: (e as Error).message }, "get_missing_events failed");
      return;
    }
    fetched.sort((a, b) => (a.depth ?? 0) - (b.depth ?? 0));
    for (const ev of fetched) {
      try {
        await this.#processPdu(origin, roomId, roomVersion, ev, 1);
      } catch (e) {
        this.deps.logger.info({ origin, roomId, err: (e as Error).message }, "a missing event was refused");
      }
    }
  }

  /** The state before an event, from `origin`'s `/state_ids` (fetching the events we lack). */
  async stateAt(
    origin: string,
    roomId: string,
    roomVersion: string,
    eventId: string,
  ): Promise<Map<string, string>> {
    let res: { json?: { pdu_ids?: unknown; auth_chain_ids?: unknown } };
    try {
      res = (await this.deps.client.request(
        origin,
        "GET",
        `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}`,
        { query: { event_id: eventId } },
      )) as typeof res;
    } catch (e) {
      // Not every server serves /state_ids: the full /state carries the same, as events.
      this.deps.logger.info({ origin, roomId, err: (e as Error).message }, "state_ids failed; asking /state");
      return this.#stateFromFullState(origin, roomId, roomVersion, eventId);
    }
    const pduIds = Array.isArray(res.json?.pdu_ids) ? (res.json.pdu_ids as string[]) : [];
    const authIds = Array.isArray(res.json?.auth_chain_ids) ? (res.json.auth_chain_ids as string[]) : [];
    const wanted = await this.#missing([...new Set([...authIds, ...pduIds])], false);
    const fetched: Pdu[] = [];
    for (const id of wanted) {
      try {
        const r = (await this.deps.client.request(
          origin,
          "GET",
          `/_matrix/federation/v1/event/${encodeURIComponent(id)}`,
        )) as {
          json?: { pdus?: unknown };
        };
        const p = Array.isArray(r.json?.pdus) ? (r.json.pdus[0] as Pdu | undefined) : undefined;
        if (p && computeEventId(p, roomVersion) === id) fetched.push(p);
      } catch (e) {
        this.deps.logger.info({ origin, id, err: (e as Error).message }, "could not fetch a state event");
      }
    }
    await this.persistOutliers(roomId, roomVersion, fetched);
    const state = new Map<string, string>();
    for (const ev of await this.deps.events.getMany(pduIds)) {
      if (ev && typeof ev.pdu.state_key === "string" && !ev.rejected)
        state.set(stateMapKey(ev.pdu.type, ev.pdu.state_key), ev.eventId);
    }
    return state;
  }
  /** The state before an event from `origin`'s full `/state` (events and auth chain). */
  async #stateFromFullState(
    origin: string,
    roomId: string,
    roomVersion: string,
    eventId: string,
  ): Promise<Map<string, string>> {
    const res = (await this.deps.client.request(
      origin,
      "GET",
      `/_matrix/federation/v1/state/${encodeURIComponent(roomId)}`,
      {
        query: { event_id: eventId },
      },
    )) as { json?: { pdus?: unknown; auth_chain?: unknown } };
    const pdus = Array.isArray(res.json?.pdus) ? (res.json.pdus as Pdu[]) : [];
    const chain = Array.isArray(res.json?.auth_chain) ? (res.json.auth_chain as Pdu[]) : [];
    await this.persistOutliers(roomId, roomVersion, [...chain, ...pdus]);
    const ids: string[] = [];
    for (const p of pdus) {
      try {
        ids.push(computeEventId(p, roomVersion));
      } catch {
        // Malformed: left out.
      }
    }
    const state = new Map<string, string>();
    for (const ev of await this.deps.events.getMany(ids)) {
      if (ev && typeof ev.pdu.state_key === "string" && !ev.rejected)
        state.set(stateMapKey(ev.pdu.type, ev.pdu.state_key), ev.eventId);
    }
    return state;
  }
}

/**
 * Orders events so that each comes after the events of its `auth_events` that are in the list
 * (depth first, which auth order respects; ties broken by the auth edges).
 */
export function orderByAuth(
  events: ReadonlyArray<{ pdu: Pdu; id: string }>,
): Array<{ pdu: Pdu; id: string }> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const done = new Set<string>();
  const out: Array<{ pdu: Pdu; id: string }> = [];
  const visit = (e: { pdu: Pdu; id: string }, path: Set<string>) => {
    if (done.has(e.id) || path.has(e.id)) return;
    path.add(e.id);
    for (const a of authEventIds(e.pdu)) {
      const dep = byId.get(a);
      if (dep) visit(dep, path);
    }
    done.add(e.id);
    out.push(e);
  };
  for (const e of [...byId.values()].sort((x, y) => (x.pdu.depth ?? 0) - (y.pdu.depth ?? 0)))
    visit(e, new Set());
  return out;
}

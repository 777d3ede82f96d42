/**
 * Fuzzing the Server-Server API (issue 8): a forged server with a real published key and a user
 * joined to a room on the target sends signed but malformed PDUs and EDUs in transactions, and
 * hostile requests to every other federation endpoint. Properties: never a 5xx, never a hang, errors
 * with spec errcodes, a transaction answers per PDU, and afterwards the room still works: a local
 * user sends and reads, and a good PDU from the forged server is accepted.
 *
 * `npm test` runs a few hundred cases; `npm run fuzz` many more. HEARTH_FUZZ_SEED and HEARTH_FUZZ_PATH replay a failure.
 */
import { canonicalJsonEscapingLoneSurrogates, computeEventId, type Pdu, signEvent } from "@hearth/federation";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, type TestServer } from "../../homeserver/src/testing/harness.js";
import { type ForgedPeer, TestFederation } from "../support/forged-peer.js";
import {
  deepJson,
  encodeParam,
  FIELD_NAMES,
  fuzzParameters,
  NASTY_STRINGS,
  nastyBody,
  nastyJsonValue,
  pathParam,
  queryString,
  SPEC_ERRCODES,
  shallowObject,
} from "./arbitraries.js";

const HANG_MS = 15_000;
const ROOM_VERSION = "10";

/** Whether a request holding this JSON text can carry an X-Matrix signature (no floats, no 1e400). */
function signable(text: string): boolean {
  try {
    canonicalJsonEscapingLoneSurrogates(JSON.parse(text));
    return true;
  } catch {
    return false;
  }
}

/** Mostly values a signature can cover (else the whole request is refused before its parts are seen). */
const mostlySignable = (arb: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 9, arbitrary: arb.filter((t) => t.length > 5_000 || signable(t)) },
    { weight: 1, arbitrary: arb },
  );

describe("fuzz: Server-Server API", () => {
  const fed = new TestFederation();
  let target: TestServer;
  let targetName: string;
  let forged: ForgedPeer;
  let alice: Client & { userId: string };
  let roomId: string;
  let eve: string;
  /** Event IDs a good message from eve references. */
  let base: { auth: string[]; prev: string; depth: number };
  let txn = 0;
  let check = 0;

  /** Sends a request to the target's federation listener as the forged server. */
  function send(
    method: string,
    path: string,
    body: string | undefined,
    sign: "good" | "none" | "bad" = "good",
  ): Promise<{ status: number; text: string }> {
    return forged.request(targetName, method, path, body, sign, HANG_MS);
  }

  /** Hashes and signs an event as the forged server. */
  function signed(event: Record<string, unknown>): Pdu {
    return forged.sign(event, ROOM_VERSION);
  }

  /** A good message from eve on top of the room as she joined it. */
  function goodMessage(body: string): Record<string, unknown> {
    return {
      room_id: roomId,
      sender: eve,
      type: "m.room.message",
      content: { msgtype: "m.text", body },
      origin_server_ts: Date.now(),
      depth: base.depth + 1,
      prev_events: [base.prev],
      auth_events: base.auth,
    };
  }

  function expectAnswer(label: string, res: { status: number; text: string }): void {
    expect(res.status, `${label} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
    if (res.status >= 400) {
      const errcode = (JSON.parse(res.text) as { errcode?: unknown }).errcode;
      expect(SPEC_ERRCODES.has(String(errcode)), `${label} → ${res.text.slice(0, 300)}`).toBe(true);
    }
  }

  /** The room still works: alice writes and reads; eve's next good message is accepted. */
  async function stillWorks(withRemote: boolean): Promise<void> {
    const body = `check ${++check}`;
    const room = encodeURIComponent(roomId);
    const sent = await alice.put(`/_matrix/client/v3/rooms/${room}/send/m.room.message/c${check}`, {
      msgtype: "m.text",
      body,
    });
    expect(sent.status, "a local send after the case").toBe(200);
    const read = await alice.get(
      `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(sent.body.event_id)}`,
    );
    expect(read.body.content?.body).toBe(body);
    if (!withRemote) return;
    const pdu = signed(goodMessage(`remote ${check}`));
    const id = computeEventId(pdu, ROOM_VERSION);
    const res = await send(
      "PUT",
      `/_matrix/federation/v1/send/ok${++txn}`,
      JSON.stringify({ origin: forged.name, origin_server_ts: Date.now(), pdus: [pdu] }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).pdus[id], "a good PDU after the case").toEqual({});
  }

  beforeAll(async () => {
    await fed.init();
    target = await fed.server("127.0.0.1", { log_level: "error" });
    targetName = target.config.serverName;
    forged = await fed.peer("127.0.0.3");
    eve = `@eve:${forged.name}`;
    alice = await registerUser(target, "alice");
    roomId = (
      await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", room_version: ROOM_VERSION })
    ).body.room_id;

    const joined = await forged.join(targetName, roomId, "eve", ROOM_VERSION);
    base = { auth: joined.auth, prev: joined.joinId, depth: joined.depth };
    await stillWorks(true);
  }, 60_000);
  afterAll(() => fed.cleanup());

  /** A PDU mutated one way or several, as JSON text: signed after the mutation, or not. */
  const mutatedPdu: fc.Arbitrary<string> = fc
    .record({
      edits: fc.array(
        fc.tuple(
          fc.constantFrom(
            "room_id",
            "sender",
            "type",
            "content",
            "state_key",
            "depth",
            "prev_events",
            "auth_events",
            "origin_server_ts",
            "hashes",
            "signatures",
            "unsigned",
            "redacts",
            "event_id",
            "origin",
            ...FIELD_NAMES.slice(0, 10).map((f) => `content.${f}`),
          ),
          fc.oneof(
            { weight: 6, arbitrary: mostlySignable(nastyJsonValue) },
            { weight: 1, arbitrary: deepJson },
            { weight: 4, arbitrary: mostlySignable(shallowObject) },
            { weight: 2, arbitrary: fc.constant("<delete>") },
          ),
        ),
        { maxLength: 3 },
      ),
      sign: fc.constantFrom("resign", "resign", "as-is", "other-server"),
      state: fc.boolean(),
    })
    .map(({ edits, sign, state }) => {
      const event = goodMessage("fuzz");
      if (state) {
        event.type = "org.example.fuzz";
        event.state_key = "";
      }
      const replaced: Array<[string, string]> = [];
      for (const [path, value] of edits) {
        const [top, inner] = path.split(".") as [string, string | undefined];
        const content =
          typeof event.content === "object" && event.content !== null && !Array.isArray(event.content)
            ? (event.content as Record<string, unknown>)
            : undefined;
        if (value === "<delete>") {
          if (inner) {
            if (content) delete content[inner];
          } else delete event[top];
          continue;
        }
        let parsed: unknown;
        try {
          // Short values only: JSON.stringify of a deep one would overflow this test's own stack.
          parsed = value.length < 2_000 ? JSON.parse(value) : undefined;
        } catch {
          parsed = undefined;
        }
        // Values JSON.parse gives back exactly go in as values; the rest are spliced in as text.
        if (parsed !== undefined && JSON.stringify(parsed) === value) {
          if (inner && content) content[inner] = parsed;
          else event[top] = parsed;
        } else {
          const marker = `__fuzz_${replaced.length}__`;
          replaced.push([JSON.stringify(marker), value]);
          if (inner && content) content[inner] = marker;
          else event[top] = marker;
        }
      }
      let pdu: Record<string, unknown> = event;
      if (sign !== "as-is") {
        try {
          pdu = signEvent(
            event,
            sign === "resign" ? forged.name : "other.example",
            forged.key,
            ROOM_VERSION,
          ) as never;
        } catch {
          pdu = event;
        }
      }
      let text = JSON.stringify(pdu);
      for (const [marker, value] of replaced) text = text.replace(marker, value);
      return text;
    });

  /** Real EDU contents (as eve would send them), to mutate. */
  function eduTemplates(): Record<string, Record<string, unknown>> {
    return {
      "m.typing": { room_id: roomId, user_id: eve, typing: true },
      "m.receipt": { [roomId]: { "m.read": { [eve]: { event_ids: [base.prev], data: { ts: 1 } } } } },
      "m.presence": {
        push: [{ user_id: eve, presence: "online", last_active_ago: 5, currently_active: true }],
      },
      "m.direct_to_device": {
        sender: eve,
        type: "m.room_key_request",
        message_id: "m1",
        messages: { [alice.userId]: { "*": { action: "request", body: { a: 1 } } } },
      },
      "m.device_list_update": {
        user_id: eve,
        device_id: "D",
        stream_id: 1,
        prev_id: [],
        deleted: false,
        keys: {},
      },
      "m.signing_key_update": { user_id: eve, master_key: { user_id: eve, usage: ["master"], keys: {} } },
    };
  }

  /** An EDU: a real one with a field or two replaced (or removed), or one of a made-up type. */
  const edu: fc.Arbitrary<string> = fc
    .tuple(
      fc.constantFrom(
        "m.typing",
        "m.receipt",
        "m.presence",
        "m.direct_to_device",
        "m.device_list_update",
        "m.signing_key_update",
        "m.nothing",
        ...NASTY_STRINGS.slice(0, 4),
      ),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.oneof(
            { weight: 6, arbitrary: mostlySignable(nastyJsonValue) },
            { weight: 3, arbitrary: mostlySignable(shallowObject) },
            { weight: 1, arbitrary: deepJson },
            { weight: 1, arbitrary: fc.constant("<delete>") },
          ),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([type, edits]) => {
      const content = eduTemplates()[type] ?? {};
      // Paths to every object member of the template, to pick from.
      const slots: Array<[Record<string, unknown>, string]> = [];
      const walk = (o: Record<string, unknown>) => {
        for (const [k, v] of Object.entries(o)) {
          slots.push([o, k]);
          if (typeof v === "object" && v !== null && !Array.isArray(v)) walk(v as Record<string, unknown>);
        }
      };
      walk(content);
      const spliced: Array<[string, string]> = [];
      for (const [n, value] of edits) {
        if (slots.length === 0) break;
        const [obj, key] = slots[n % slots.length]!;
        if (value === "<delete>") delete obj[key];
        else {
          const marker = `__fuzz_edu_${spliced.length}__`;
          spliced.push([JSON.stringify(marker), value]);
          obj[key] = marker;
        }
      }
      let text = `{"edu_type":${JSON.stringify(type)},"content":${JSON.stringify(content)}}`;
      for (const [marker, value] of spliced) text = text.replace(marker, value);
      return text;
    });

  it("refuses a PDU and drops an EDU holding a lone surrogate, and processes the rest of the transaction", async () => {
    const bad = signed(goodMessage("placeholder"));
    const good = signed(goodMessage("the good one"));
    const goodId = computeEventId(good, ROOM_VERSION);
    const since = (await alice.get("/_matrix/client/v3/sync?timeout=0")).body.next_batch as string;
    const toDevice = (body: string) =>
      `{"edu_type":"m.direct_to_device","content":{"sender":${JSON.stringify(eve)},"type":"org.example.t","message_id":"${body}","messages":{${JSON.stringify(alice.userId)}:{"*":{"body":"${body}"}}}}}`;
    const body =
      `{"origin":${JSON.stringify(forged.name)},"origin_server_ts":${Date.now()},` +
      `"pdus":[${JSON.stringify(bad).replace('"placeholder"', '"\\ud800"')},${JSON.stringify(good)}],` +
      `"edus":[${toDevice("\\udc00")},${toDevice("fine")}]}`;
    const res = await send("PUT", `/_matrix/federation/v1/send/surrogate${++txn}`, body);
    expect(res.status, res.text).toBe(200);
    const results = JSON.parse(res.text).pdus as Record<string, { error?: string }>;
    expect(results[goodId]).toEqual({});
    expect(Object.values(results).filter((r) => r.error !== undefined)).toHaveLength(1);
    const sync = await alice.get(`/_matrix/client/v3/sync?since=${encodeURIComponent(since)}&timeout=0`);
    const timeline = sync.body.rooms.join[roomId].timeline.events as Array<{ content: { body?: string } }>;
    expect(timeline.map((e) => e.content.body)).toContain("the good one");
    expect(timeline.map((e) => e.content.body)).not.toContain("\ud800");
    const messages = sync.body.to_device.events as Array<{ content: { body: string } }>;
    expect(messages.map((m) => m.content.body)).toEqual(["fine"]);
    base = { ...base, prev: goodId, depth: good.depth };
  });

  it("refuses, alone, PDUs whose fields have the wrong types (found by the fuzz)", async () => {
    const good = signed(goodMessage("after odd ones"));
    // `depth` an object whose toString is not a function: sorting by depth threw (500).
    const odd = [
      { ...goodMessage("x"), depth: { toString: 1 } },
      { ...goodMessage("y"), depth: "7" },
      { ...goodMessage("z"), room_id: { a: 1 } },
    ];
    const body = JSON.stringify({ origin: forged.name, origin_server_ts: Date.now(), pdus: [...odd, good] });
    const res = await send("PUT", `/_matrix/federation/v1/send/odd${++txn}`, body);
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text).pdus[computeEventId(good, ROOM_VERSION)]).toEqual({});
  });

  it("answers every transaction per PDU, never 5xx, and the room keeps working", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutatedPdu, { maxLength: 4 }),
        fc.array(edu, { maxLength: 4 }),
        fc.boolean(),
        async (pdus, edus, withGood) => {
          const good = withGood ? signed(goodMessage(`good ${txn}`)) : undefined;
          const all = good ? [...pdus, JSON.stringify(good)] : pdus;
          const body = `{"origin":${JSON.stringify(forged.name)},"origin_server_ts":${Date.now()},"pdus":[${all.join(",")}],"edus":[${edus.join(",")}]}`;
          const res = await send("PUT", `/_matrix/federation/v1/send/fz${++txn}`, body);
          expectAnswer(`transaction ${body.slice(0, 400)}`, res);
          if (good && res.status === 200) {
            // One bad PDU never blocks the rest of its transaction.
            expect(JSON.parse(res.text).pdus[computeEventId(good, ROOM_VERSION)], body.slice(0, 400)).toEqual(
              {},
            );
          }
          await stillWorks(txn % 5 === 0);
        },
      ),
      fuzzParameters(150),
    );
  }, 600_000);

  it("answers hostile requests to every federation endpoint without a 5xx", async () => {
    const targets = target.routes.federation.flatMap((r) =>
      r.paths.map((path) => ({ method: r.method, path })),
    );
    const param = pathParam([
      roomId,
      eve,
      alice.userId,
      base.prev,
      forged.name,
      targetName,
      "ed25519:fuzz",
      "1",
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.array(param, { minLength: 4, maxLength: 4 }),
        queryString,
        nastyBody,
        fc.constantFrom("good", "good", "good", "none", "bad"),
        async (route, params, query, body, sign) => {
          let i = 0;
          const path =
            route.path
              .split("/")
              .map((seg) => (seg.startsWith(":") ? encodeParam(params[i++]!) : seg))
              .join("/") + (query ? `?${query}` : "");
          const res = await send(
            route.method,
            path,
            route.method === "GET" ? undefined : body,
            sign as "good",
          );
          if (res.status === 431) return; // Node's own header limit
          expectAnswer(`${route.method} ${path.slice(0, 200)} body=${String(body).slice(0, 200)}`, res);
          await stillWorks(false);
        },
      ),
      fuzzParameters(200),
    );
    await stillWorks(true);
  }, 600_000);
});

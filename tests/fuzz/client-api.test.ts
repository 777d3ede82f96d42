/**
 * Fuzzing every Client-Server endpoint the server registers (issue 8): hostile bodies (deep nesting,
 * huge numbers, floats, lone surrogates, NULs, wrong types), path parameters and query strings, sent
 * by a registered user (and sometimes by nobody). Properties: never a 5xx, never a hang, every error
 * a spec errcode, and after each case a normal user can still send a message and read it back.
 *
 * `npm test` runs a few hundred cases; `npm run fuzz` many more (HEARTH_FUZZ_SCALE). A failure prints
 * the seed and path: HEARTH_FUZZ_SEED=<seed> HEARTH_FUZZ_PATH=<path> replays it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  registerUser,
  startTestServer,
  type TestServer,
} from "../../homeserver/src/testing/harness.js";
import {
  encodeParam,
  fuzzParameters,
  nastyBody,
  pathParam,
  queryString,
  SPEC_ERRCODES,
} from "./arbitraries.js";

type User = Client & { userId: string; deviceId: string };

/** Longest a request may take before it counts as a hang. */
const HANG_MS = 10_000;

describe("fuzz: Client-Server API", () => {
  let server: TestServer;
  let mallory: User;
  let bob: User;
  let roomId: string;
  let valid: string[];
  let targets: Array<{ method: string; path: string }>;
  let malloryCount = 0;
  let check = 0;

  beforeAll(async () => {
    server = await startTestServer({ log_level: "error" });
    mallory = await registerUser(server, "mallory");
    bob = await registerUser(server, "bob");
    roomId = (
      await bob.post("/_matrix/client/v3/createRoom", { preset: "public_chat", room_alias_name: "fuzz" })
    ).body.room_id;
    await mallory.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    const sent = await mallory.put(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t0`,
      {
        msgtype: "m.text",
        body: "hello",
      },
    );
    const filter = await mallory.post(
      `/_matrix/client/v3/user/${encodeURIComponent(mallory.userId)}/filter`,
      {},
    );
    const upload = await mallory.request("POST", "/_matrix/media/v3/upload", "bytes", {
      "content-type": "text/plain",
    });
    const mediaId =
      String(upload.body.content_uri ?? "")
        .split("/")
        .pop() ?? "x";
    valid = [
      mallory.userId,
      bob.userId,
      roomId,
      sent.body.event_id,
      `#fuzz:${server.config.serverName}`,
      server.config.serverName,
      mediaId,
      mallory.deviceId,
      filter.body.filter_id,
      "m.room.message",
      "m.room.name",
      "m.room.member",
      "m.read",
      "m.tag",
      "u.work",
      "global",
      "override",
      "content",
      ".m.rule.master",
      "m.reference",
      "1",
      "txn1",
    ];
    targets = server.routes.client.flatMap((r) => r.paths.map((path) => ({ method: r.method, path })));
  }, 60_000);
  afterAll(() => server.destroy());

  /** Mallory again when a case logged her out or deactivated her (a new account in the same room). */
  async function ensureMallory(): Promise<void> {
    if ((await mallory.get("/_matrix/client/v3/account/whoami")).status === 200) return;
    mallory = await registerUser(server, `mallory${++malloryCount}`);
    await mallory.post(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  }

  /** A normal user still writes and reads. */
  async function bobStillWorks(): Promise<void> {
    const body = `check ${++check}`;
    const room = encodeURIComponent(roomId);
    const sent = await bob.put(`/_matrix/client/v3/rooms/${room}/send/m.room.message/check${check}`, {
      msgtype: "m.text",
      body,
    });
    expect(sent.status, "a normal send after the case").toBe(200);
    const read = await bob.get(
      `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(sent.body.event_id)}`,
    );
    expect(read.body.content?.body, "reading it back").toBe(body);
  }

  it("never answers 5xx, never hangs, answers errors with spec errcodes, and leaves the server working", async () => {
    const param = pathParam(valid);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.array(param, { minLength: 6, maxLength: 6 }),
        queryString,
        nastyBody,
        fc.constantFrom("mallory", "mallory", "mallory", "nobody", "bad-token"),
        async (target, params, query, body, who) => {
          let i = 0;
          const path = target.path
            .split("/")
            .map((seg) => (seg.startsWith(":") ? encodeParam(params[i++]!) : seg))
            .join("/");
          const url = `${server.url}${path}${query ? `?${query}` : ""}`;
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (who === "mallory") headers.authorization = `Bearer ${mallory.accessToken}`;
          if (who === "bad-token") headers.authorization = "Bearer syt_not_a_token";
          const label = `${target.method} ${url.slice(0, 200)} body=${String(body).slice(0, 200)}`;
          let res: Response;
          try {
            res = await fetch(url, {
              method: target.method,
              headers,
              body: target.method === "GET" ? undefined : body,
              signal: AbortSignal.timeout(HANG_MS),
            });
          } catch (e) {
            // A header value fetch itself refuses is not the server's doing.
            if (e instanceof TypeError && /header|ByteString/i.test(String(e.message))) return;
            throw new Error(`no answer (${(e as Error).name}: ${(e as Error).message}) to ${label}`);
          }
          const text = await res.text();
          expect(res.status, `${label} → ${text.slice(0, 300)}`).toBeLessThan(500);
          // 431: Node's own limit on the request line and headers, before the server sees anything.
          if (res.status >= 400 && res.status !== 431) {
            const error = JSON.parse(text) as { errcode?: unknown; flows?: unknown };
            // User-interactive authentication's first 401 carries flows, not an errcode.
            const uia = res.status === 401 && Array.isArray(error.flows);
            if (!uia)
              expect(SPEC_ERRCODES.has(String(error.errcode)), `${label} → ${text.slice(0, 200)}`).toBe(true);
          }
          await ensureMallory();
          await bobStillWorks();
        },
      ),
      fuzzParameters(300),
    );
  }, 600_000);
});

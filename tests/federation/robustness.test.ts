/**
 * Federation robustness (conformance issue, group 6), against a deliberately minimal remote server
 * (a forged peer that serves only what each test gives it):
 * - a PDU whose auth events we lack is accepted when the sender serves `/event/{eventId}` but not
 *   `/event_auth` (a 404 from an optional endpoint never rejects the PDU);
 * - the v1 `send_join`, `send_leave` and `invite` are served in their legacy `[200, {…}]` form, and
 *   used when a server answers v2 with 404;
 * - `GET /_matrix/key/v2/query/{serverName}/{keyId}` as well as the form without a key ID.
 */
import { computeEventId, type Pdu } from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, type TestServer } from "../../homeserver/src/testing/harness.js";
import { type ForgedPeer, TestFederation } from "../support/forged-peer.js";
import { eventually } from "./harness.js";

const V = "10";

describe("federation robustness against a minimal remote server", () => {
  const fed = new TestFederation();
  let hs: TestServer;
  let alice: Client & { userId: string };
  let peer: ForgedPeer;
  let roomId: string;

  beforeAll(async () => {
    await fed.init();
    hs = await fed.server("127.0.0.95");
    peer = await fed.peer("127.0.0.96");
    alice = await registerUser(hs, "alice");
    roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "public_chat", room_version: V }))
      .body.room_id;
  }, 60_000);
  afterAll(() => fed.cleanup());

  const name = () => hs.config.serverName;
  const room = () => encodeURIComponent(roomId);

  it("fetches a missing auth event by /event when /event_auth is not served", async () => {
    const eve = peer.userId("eve");
    const base = await peer.join(name(), roomId, "eve", V);
    // Eve changes her display name on her server; hs never hears of it.
    const rename = peer.sign(
      {
        room_id: roomId,
        sender: eve,
        type: "m.room.member",
        state_key: eve,
        content: { membership: "join", displayname: "Eve" },
        origin_server_ts: Date.now(),
        depth: base.depth + 1,
        prev_events: [base.joinId],
        auth_events: base.auth,
      },
      V,
    );
    const renameId = computeEventId(rename, V);
    // Her next message cites it as an auth event. The peer serves /event only.
    const message = peer.sign(
      {
        room_id: roomId,
        sender: eve,
        type: "m.room.message",
        content: { msgtype: "m.text", body: "via /event" },
        origin_server_ts: Date.now(),
        depth: base.depth + 1,
        prev_events: [base.joinId],
        auth_events: [base.auth[0]!, base.auth[1]!, renameId],
      },
      V,
    );
    peer.onRequest = (req) => {
      if (
        req.method === "GET" &&
        req.url === `/_matrix/federation/v1/event/${encodeURIComponent(renameId)}`
      ) {
        return { status: 200, body: { origin: peer.name, origin_server_ts: Date.now(), pdus: [rename] } };
      }
      return undefined; // everything else (event_auth included): 404
    };
    const res = await peer.request(
      name(),
      "PUT",
      "/_matrix/federation/v1/send/t1",
      JSON.stringify({ origin: peer.name, origin_server_ts: Date.now(), pdus: [message] }),
    );
    expect(res.status, res.text).toBe(200);
    const id = computeEventId(message, V);
    expect(JSON.parse(res.text).pdus[id]).toEqual({});
    expect(peer.received.some((r) => r.url.startsWith("/_matrix/federation/v1/event_auth/"))).toBe(true);
    const seen = await alice.get(`/_matrix/client/v3/rooms/${room()}/event/${encodeURIComponent(id)}`);
    expect(seen.status).toBe(200);
    peer.onRequest = undefined;
  });

  it("serves v1 send_join and send_leave in the legacy array form", async () => {
    const userId = peer.userId("oldie");
    const made = await peer.request(
      name(),
      "GET",
      `/_matrix/federation/v1/make_join/${room()}/${encodeURIComponent(userId)}?ver=${V}`,
    );
    const join = peer.sign({ ...(JSON.parse(made.text).event as object), origin_server_ts: Date.now() }, V);
    const joinId = computeEventId(join, V);
    const joined = await peer.request(
      name(),
      "PUT",
      `/_matrix/federation/v1/send_join/${room()}/${encodeURIComponent(joinId)}`,
      JSON.stringify(join),
    );
    expect(joined.status, joined.text).toBe(200);
    const [code, body] = JSON.parse(joined.text) as [
      number,
      { origin: string; state: Pdu[]; auth_chain: Pdu[] },
    ];
    expect(code).toBe(200);
    expect(body.origin).toBe(name());
    expect(body.state.some((e) => e.type === "m.room.create")).toBe(true);
    expect(Array.isArray(body.auth_chain)).toBe(true);

    const madeLeave = await peer.request(
      name(),
      "GET",
      `/_matrix/federation/v1/make_leave/${room()}/${encodeURIComponent(userId)}`,
    );
    const leave = peer.sign(
      { ...(JSON.parse(madeLeave.text).event as object), origin_server_ts: Date.now() },
      V,
    );
    const left = await peer.request(
      name(),
      "PUT",
      `/_matrix/federation/v1/send_leave/${room()}/${encodeURIComponent(computeEventId(leave, V))}`,
      JSON.stringify(leave),
    );
    expect(left.status, left.text).toBe(200);
    expect(JSON.parse(left.text)).toEqual([200, {}]);
  });

  it("invites over v1 when the invitee's server answers v2 with 404 (room versions 1 and 2)", async () => {
    const v1Room = (await alice.post("/_matrix/client/v3/createRoom", { room_version: "1" })).body
      .room_id as string;
    const invitee = peer.userId("legacy");
    peer.onRequest = (req) => {
      if (req.method === "PUT" && req.url.startsWith("/_matrix/federation/v2/invite/"))
        return { status: 404, body: { errcode: "M_UNRECOGNIZED", error: "no v2" } };
      if (req.method === "PUT" && req.url.startsWith("/_matrix/federation/v1/invite/")) {
        const event = req.body as Pdu;
        const cosigned = peer.sign(event as unknown as Record<string, unknown>, "1");
        return {
          status: 200,
          body: [
            200,
            { event: { ...cosigned, signatures: { ...event.signatures, ...cosigned.signatures } } },
          ],
        };
      }
      return undefined;
    };
    const res = await alice.post(`/_matrix/client/v3/rooms/${encodeURIComponent(v1Room)}/invite`, {
      user_id: invitee,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const v1 = peer.received.find((r) => r.url.startsWith("/_matrix/federation/v1/invite/"));
    expect(v1, "the v1 invite").toBeDefined();
    expect(
      (v1!.body as { unsigned?: { invite_room_state?: unknown[] } }).unsigned?.invite_room_state?.length,
    ).toBeGreaterThan(0);
    await eventually("the invite to be in the room's state", async () => {
      const m = await alice.get(
        `/_matrix/client/v3/rooms/${encodeURIComponent(v1Room)}/state/m.room.member/${encodeURIComponent(invitee)}`,
      );
      return m.body.membership === "invite";
    });
    peer.onRequest = undefined;
  });

  it("serves a v1 invite for one of its users, in the legacy form", async () => {
    const bob = await registerUser(hs, "bob");
    const otherRoom = `!legacy:${peer.name}`;
    const create = peer.sign(
      {
        room_id: otherRoom,
        sender: peer.userId("host"),
        type: "m.room.create",
        state_key: "",
        content: { creator: peer.userId("host") },
        origin_server_ts: Date.now(),
        depth: 1,
        prev_events: [],
        auth_events: [],
        event_id: `$create:${peer.name}`,
      },
      "1",
    );
    const invite = peer.sign(
      {
        room_id: otherRoom,
        sender: peer.userId("host"),
        type: "m.room.member",
        state_key: bob.userId,
        content: { membership: "invite" },
        origin_server_ts: Date.now(),
        depth: 2,
        prev_events: [[create.event_id, create.hashes]],
        auth_events: [[create.event_id, create.hashes]],
        event_id: `$invite:${peer.name}`,
        unsigned: {
          invite_room_state: [
            { type: "m.room.create", state_key: "", sender: create.sender, content: create.content },
          ],
        },
      },
      "1",
    );
    const res = await peer.request(
      name(),
      "PUT",
      `/_matrix/federation/v1/invite/${encodeURIComponent(otherRoom)}/${encodeURIComponent(invite.event_id!)}`,
      JSON.stringify(invite),
    );
    expect(res.status, res.text).toBe(200);
    const [code, body] = JSON.parse(res.text) as [number, { event: Pdu }];
    expect(code).toBe(200);
    expect(Object.keys(body.event.signatures ?? {})).toContain(name());
    await eventually("bob to see the invite", async () => {
      const sync = await bob.get("/_matrix/client/v3/sync?timeout=0");
      return otherRoom in (sync.body.rooms?.invite ?? {});
    });
  });

  it("answers the key query with and without a key ID", async () => {
    const server = name();
    const all = await peer.request(server, "GET", `/_matrix/key/v2/query/${encodeURIComponent(server)}`);
    const keyId = Object.keys(JSON.parse(all.text).server_keys[0].verify_keys)[0]!;
    const one = await peer.request(
      server,
      "GET",
      `/_matrix/key/v2/query/${encodeURIComponent(server)}/${encodeURIComponent(keyId)}`,
    );
    expect(one.status, one.text).toBe(200);
    expect(Object.keys(JSON.parse(one.text).server_keys[0].verify_keys)).toContain(keyId);
  });
});

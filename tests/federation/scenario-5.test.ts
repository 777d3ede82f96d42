/**
 * Scenario 5 (federation issue): "Forgery and bad input, each refused as the spec says and nothing
 * else in the transaction lost."
 *
 * A forged peer (`forged-server.ts`: its own server name and published key, the real
 * `createFederationClient`) talks to hs1, in a room hs1 and hs2 share:
 * - a request signed with a key it does not publish → 401 ("Request Authentication");
 * - one transaction mixing a good PDU with an event whose sender is another server's user, a
 *   tampered event (content hash mismatch → kept redacted), an event with a bad signature, and a PDU
 *   for a room the peer is not in; plus EDUs (a forged one for another server's user, and a good
 *   one) — the bad ones are refused ("Checks performed on receipt of a PDU"), the good ones kept;
 * - a transaction of 51 PDUs → 400, none of them kept ("Transactions": at most 50);
 * - a join that tries to skip an invite-only rule: `make_join` and `send_join` → 403.
 */
import {
  computeEventId,
  FederationRequestError,
  generateSigningKey,
  type Pdu,
  stateMapKey,
} from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, expectStatus, sendText, type UserClient } from "../support/matrix.js";
import { ForgedServer } from "./forged-server.js";
import { eventually, FederationCluster } from "./harness.js";
import { enc, putState, syncUntil, waitForMembers } from "./scenario-helpers.js";

/** The HTTP status of a federation request (200 when it succeeds) and its body. */
async function statusOf<T>(p: Promise<{ json: T }>): Promise<[number, unknown]> {
  try {
    return [200, (await p).json];
  } catch (e) {
    if (e instanceof FederationRequestError) return [e.status, e.errcode];
    throw e;
  }
}

describe("scenario 5: forgery and bad input are refused, nothing else lost", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 26 });
  let evil: ForgedServer | undefined;
  afterAll(async () => {
    await evil?.close();
    await cluster.cleanup();
  });
  beforeAll(async () => {
    await cluster.start();
    evil = await ForgedServer.start(cluster, "127.0.0.29");
  }, 120_000);

  let alice: UserClient;
  let bob: UserClient;
  let roomId: string;

  /** `make_join` + `send_join` for a user of the forged server; returns the join's ID and depth. */
  async function forgedJoin(room: string, localpart: string) {
    const hs1 = cluster.node(1);
    const client = evil!.client();
    const userId = evil!.userId(localpart);
    const made = await client.request<{ event: Record<string, unknown>; room_version: string }>(
      hs1.name,
      "GET",
      `/_matrix/federation/v1/make_join/${enc(room)}/${enc(userId)}`,
      { query: { ver: ["10", "11"] } },
    );
    const roomVersion = made.json.room_version;
    const { pdu, eventId } = evil!.sign({ ...made.json.event, origin_server_ts: Date.now() }, roomVersion);
    const joined = await client.request<{ state: Pdu[]; auth_chain: Pdu[] }>(
      hs1.name,
      "PUT",
      `/_matrix/federation/v2/send_join/${enc(room)}/${enc(eventId)}`,
      { body: pdu },
    );
    const stateIds = new Map(
      joined.json.state.map((e) => [stateMapKey(e.type, e.state_key ?? ""), computeEventId(e, roomVersion)]),
    );
    return { userId, roomVersion, joinId: eventId, depth: pdu.depth ?? 0, stateIds };
  }

  it("refuses a request signed with a key the origin does not publish (401)", async () => {
    const hs1 = cluster.node(1);
    alice = await cluster.register(hs1, "alice");
    const profile = (client = evil!.client()) =>
      statusOf(
        client.request(hs1.name, "GET", "/_matrix/federation/v1/query/profile", {
          query: { user_id: alice.userId },
        }),
      );
    // The forged peer's real key works (hs1 fetches it from the peer)…
    expect((await profile())[0]).toBe(200);
    // …a key under the same ID that it does not publish does not, nor no key of the claimed origin.
    expect(await profile(evil!.client({ key: generateSigningKey("ed25519:forged") }))).toEqual([
      401,
      "M_UNAUTHORIZED",
    ]);
    expect((await profile(evil!.client({ origin: cluster.node(2).name })))[0]).toBe(401);
  });

  it("refuses each bad PDU and EDU of a transaction and keeps the rest", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    bob = await cluster.register(hs2, "bob");
    roomId = await createRoom(alice, { preset: "public_chat", name: "Forgery" });
    expectStatus(
      "bob joins",
      await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.name)}`, {}),
    );
    const m = await forgedJoin(roomId, "mallory");
    await waitForMembers([alice, bob], roomId, [alice.userId, bob.userId, m.userId]);
    const otherRoom = await createRoom(alice, { preset: "public_chat", name: "Not yours" });

    const authFor = (sender: string) =>
      [
        m.stateIds.get(stateMapKey("m.room.create", ""))!,
        m.stateIds.get(stateMapKey("m.room.power_levels", ""))!,
        sender === m.userId ? m.joinId : m.stateIds.get(stateMapKey("m.room.member", sender))!,
      ].filter(Boolean);
    const message = (sender: string, body: string, prev: string[], depth: number) => ({
      room_id: roomId,
      type: "m.room.message",
      sender,
      content: { msgtype: "m.text", body },
      origin_server_ts: Date.now(),
      depth,
      prev_events: prev,
      auth_events: authFor(sender),
    });

    // The good one.
    const good = evil!.sign(message(m.userId, "a good message", [m.joinId], m.depth + 1), m.roomVersion);
    // Tampered after signing: the signature (over the redacted form) still holds, the hash does not.
    const tampered = evil!.sign(message(m.userId, "original", [good.eventId], m.depth + 2), m.roomVersion);
    tampered.pdu = { ...tampered.pdu, content: { msgtype: "m.text", body: "tampered" } };
    // A bad signature: signed with a key the peer does not publish, under its key ID.
    const badSig = evil!.sign(
      message(m.userId, "badly signed", [good.eventId], m.depth + 2),
      m.roomVersion,
      evil!.name,
      generateSigningKey("ed25519:forged"),
    );
    // Another server's user as sender, signed by the forged peer only.
    const otherSender = evil!.sign(
      message(bob.userId, "I am bob", [good.eventId], m.depth + 2),
      m.roomVersion,
    );
    // A room the peer is not in: built on that room's own make_join template (which names its
    // real auth and prev events), but sent as a message.
    const template = (
      await evil!
        .client()
        .request<{ event: Record<string, unknown> }>(
          hs1.name,
          "GET",
          `/_matrix/federation/v1/make_join/${enc(otherRoom)}/${enc(m.userId)}`,
          { query: { ver: [m.roomVersion] } },
        )
    ).json.event;
    const { state_key: _sk, ...base } = template;
    const notIn = evil!.sign(
      { ...base, type: "m.room.message", content: { msgtype: "m.text", body: "not in this room" } },
      m.roomVersion,
    );

    const txn = await evil!
      .client()
      .request<{ pdus: Record<string, { error?: string }> }>(
        hs1.name,
        "PUT",
        "/_matrix/federation/v1/send/forged-1",
        {
          body: {
            origin: evil!.name,
            origin_server_ts: Date.now(),
            pdus: [otherSender.pdu, badSig.pdu, notIn.pdu, tampered.pdu, good.pdu],
            edus: [
              { edu_type: "m.typing", content: { room_id: roomId, user_id: bob.userId, typing: true } },
              { edu_type: "m.typing", content: { room_id: roomId, user_id: m.userId, typing: true } },
            ],
          },
        },
      );
    const results = txn.json.pdus;
    expect(results[good.eventId]).toEqual({});
    expect(results[tampered.eventId]).toEqual({});
    expect(results[badSig.eventId]?.error, "bad signature").toBeTypeOf("string");
    expect(results[otherSender.eventId]?.error, "sender of another server").toBeTypeOf("string");
    expect(results[notIn.eventId]?.error, "room the origin is not in").toBeTypeOf("string");

    // Kept: the good event as sent, the tampered one redacted (content stripped).
    const event = async (id: string, room = roomId) =>
      alice.get<{ content?: Record<string, unknown> }>(
        `/_matrix/client/v3/rooms/${enc(room)}/event/${enc(id)}`,
      );
    const goodRes = await event(good.eventId);
    expect(goodRes.status).toBe(200);
    expect(goodRes.body.content?.body).toBe("a good message");
    const tamperedRes = await event(tampered.eventId);
    expect(tamperedRes.status).toBe(200);
    expect(tamperedRes.body.content).toEqual({});
    // Refused: not visible.
    expect((await event(badSig.eventId)).status).toBe(404);
    expect((await event(otherSender.eventId)).status).toBe(404);
    expect((await event(notIn.eventId, otherRoom)).status).toBe(404);

    // The EDUs: the peer's own user is typing; the forged one for Bob is ignored.
    const typing = await syncUntil(alice, "mallory typing", (res) => {
      const ev = res.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.typing");
      const ids = (ev?.content.user_ids ?? []) as string[];
      return ids.includes(m.userId) ? ids : undefined;
    });
    expect(typing).not.toContain(bob.userId);

    // The room goes on: hs1 relays nothing forged, and Alice's next message reaches Bob.
    const after = await sendText(alice, roomId, "still fine", "s5-1");
    await eventually("bob to see alice's message", async () => {
      const res = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(after)}`);
      return res.status === 200;
    });
  });

  it("refuses a transaction of more than 50 PDUs (400) and keeps none of it", async () => {
    const hs1 = cluster.node(1);
    const m = await forgedJoin(roomId, "mallory2");
    const pdus = Array.from({ length: 51 }, (_, i) =>
      evil!.sign(
        {
          room_id: roomId,
          type: "m.room.message",
          sender: m.userId,
          content: { msgtype: "m.text", body: `flood ${i}` },
          origin_server_ts: Date.now(),
          depth: m.depth + 1,
          prev_events: [m.joinId],
          auth_events: [
            m.stateIds.get(stateMapKey("m.room.create", ""))!,
            m.stateIds.get(stateMapKey("m.room.power_levels", ""))!,
            m.joinId,
          ],
        },
        m.roomVersion,
      ),
    );
    const [status] = await statusOf(
      evil!.client().request(hs1.name, "PUT", "/_matrix/federation/v1/send/forged-flood", {
        body: { origin: evil!.name, origin_server_ts: Date.now(), pdus: pdus.map((p) => p.pdu), edus: [] },
      }),
    );
    expect(status).toBe(400);
    for (const p of [pdus[0]!, pdus[50]!]) {
      const res = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(p.eventId)}`);
      expect(res.status).toBe(404);
    }
  });

  it("refuses a join that skips an invite-only rule (make_join and send_join: 403)", async () => {
    const hs1 = cluster.node(1);
    const client = evil!.client();
    const inviteOnly = await createRoom(alice, { preset: "public_chat", name: "Was public" });
    const userId = evil!.userId("sneaky");
    // A template obtained while the room was public…
    const made = await client.request<{ event: Record<string, unknown>; room_version: string }>(
      hs1.name,
      "GET",
      `/_matrix/federation/v1/make_join/${enc(inviteOnly)}/${enc(userId)}`,
      { query: { ver: ["10", "11"] } },
    );
    // …then the room becomes invite-only.
    await putState(alice, inviteOnly, "m.room.join_rules", { join_rule: "invite" });

    const [makeStatus] = await statusOf(
      client.request(hs1.name, "GET", `/_matrix/federation/v1/make_join/${enc(inviteOnly)}/${enc(userId)}`, {
        query: { ver: ["10", "11"] },
      }),
    );
    expect(makeStatus).toBe(403);

    const { pdu, eventId } = evil!.sign(made.json.event, made.json.room_version);
    const [sendStatus] = await statusOf(
      client.request(hs1.name, "PUT", `/_matrix/federation/v2/send_join/${enc(inviteOnly)}/${enc(eventId)}`, {
        body: pdu,
      }),
    );
    expect(sendStatus).toBe(403);
    const members = await alice.get<{ joined: Record<string, unknown> }>(
      `/_matrix/client/v3/rooms/${enc(inviteOnly)}/joined_members`,
    );
    expect(Object.keys(members.body.joined)).toEqual([alice.userId]);
  });
});

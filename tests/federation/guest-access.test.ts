/**
 * Guests joining rooms of another server (Client-Server API, "Guest Access"): whether an account is a
 * guest is never sent between servers, so the guest's own server decides, from the invite's stripped
 * state when it carries `m.room.guest_access`, else from the room's state once joined; and it makes
 * its guests leave when the room's `m.room.guest_access` stops being `can_join`, whoever changed it.
 * Two in-process Hearth servers: hs1 holds the rooms, hs2 has the guests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, registerUser, type TestServer } from "../../homeserver/src/testing/harness.js";
import { TestFederation } from "../support/forged-peer.js";
import { eventually } from "./harness.js";

const enc = encodeURIComponent;

describe("guests and rooms of other servers", () => {
  const fed = new TestFederation();
  let hs1: TestServer;
  let hs2: TestServer;
  let alice: Client & { userId: string };

  beforeAll(async () => {
    await fed.init();
    hs1 = await fed.server("127.0.0.100");
    hs2 = await fed.server("127.0.0.101");
    alice = await registerUser(hs1, "alice");
  }, 60_000);
  afterAll(() => fed.cleanup());

  async function guestOf(server: TestServer): Promise<Client & { userId: string }> {
    const anon = new Client(server.url);
    const reg = await anon.post("/_matrix/client/v3/register?kind=guest", {});
    expect(reg.status).toBe(200);
    return Object.assign(anon.as(reg.body.access_token), { userId: reg.body.user_id as string });
  }

  async function room(guestAccess: "can_join" | "forbidden", joinRule: "invite" | "public"): Promise<string> {
    const res = await alice.post("/_matrix/client/v3/createRoom", {
      preset: joinRule === "public" ? "public_chat" : "private_chat",
      initial_state: [{ type: "m.room.guest_access", content: { guest_access: guestAccess } }],
    });
    expect(res.status).toBe(200);
    return res.body.room_id;
  }

  async function inviteAndWait(roomId: string, guest: Client & { userId: string }): Promise<void> {
    const res = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: guest.userId });
    expect(res.status).toBe(200);
    await eventually("the invite reaches the guest", async () => {
      const s = await guest.get("/_matrix/client/v3/sync?timeout=0");
      return s.body.rooms?.invite?.[roomId] !== undefined;
    });
  }

  const membershipOn = async (roomId: string, userId: string) =>
    (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`)).body
      .membership;

  it("joins an invite-only room that admits guests, and leaves it when guests are no longer admitted", async () => {
    const guest = await guestOf(hs2);
    const roomId = await room("can_join", "invite");
    await inviteAndWait(roomId, guest);
    const joined = await guest.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    expect(joined.status).toBe(200);
    await eventually(
      "hs1 sees the guest joined",
      async () => (await membershipOn(roomId, guest.userId)) === "join",
    );

    const revoke = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.guest_access/`, {
      guest_access: "forbidden",
    });
    expect(revoke.status).toBe(200);
    // hs2 receives the change over federation and makes its guest leave.
    await eventually("the guest leaves", async () => (await membershipOn(roomId, guest.userId)) === "leave");
  });

  it("refuses, before joining, an invite whose stripped state says guests are forbidden", async () => {
    const guest = await guestOf(hs2);
    const roomId = await room("forbidden", "invite");
    await inviteAndWait(roomId, guest);
    const res = await guest.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    expect(await membershipOn(roomId, guest.userId)).toBe("invite");
  });

  it("without stripped state, finds out from the room's state and leaves again at once", async () => {
    const guest = await guestOf(hs2);
    const roomId = await room("forbidden", "public");
    const res = await guest.post(
      `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(hs1.config.serverName)}`,
      {},
    );
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
    await eventually(
      "hs1 sees the guest gone",
      async () => (await membershipOn(roomId, guest.userId)) === "leave",
    );
  });
});

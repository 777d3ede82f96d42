/**
 * Scenario 2 (federation issue): "Invite across servers; typing, receipts, presence and remote
 * profiles visible across servers."
 *
 * Alice@hs1 creates a private room and invites Bob@hs2 (`PUT /invite` to hs2); Bob sees the invite in
 * `/sync` and joins through hs1. Then each ephemeral feature must cross the federation both ways:
 * typing (`m.typing` EDU), read receipts (`m.receipt` EDU), presence (`m.presence` EDU, and
 * `GET /presence/{userId}/status` of a remote user), and profiles (`GET /profile/{userId}` of a
 * remote user, answered through `/query/profile`; the displayname in the member events).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoom, expectStatus, sendText } from "../support/matrix.js";
import { eventually, FederationCluster } from "./harness.js";
import { enc, syncUntil, waitForMembers } from "./scenario-helpers.js";

describe("scenario 2: invites, typing, receipts, presence and profiles across servers", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 14 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  it("invites across servers; typing, receipts, presence and profiles cross the federation", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const alice = await cluster.register(hs1, "alice");
    const bob = await cluster.register(hs2, "bob");
    expectStatus(
      "alice sets her displayname",
      await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, {
        displayname: "Alice",
      }),
    );
    expectStatus(
      "bob sets his displayname",
      await bob.put(`/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, { displayname: "Bob" }),
    );

    // Invite across servers: Bob's server learns of the invite and shows it in /sync.
    const roomId = await createRoom(alice, { preset: "private_chat", name: "Secret" });
    expectStatus(
      "alice invites bob",
      await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId }),
    );
    const inviteState = await syncUntil(
      bob,
      "bob's invite",
      (res) => res.rooms?.invite?.[roomId]?.invite_state,
    );
    const names = inviteState.events.filter((e) => e.type === "m.room.name").map((e) => e.content.name);
    // The stripped state the inviting server sent (`invite_room_state`) reaches the invitee's /sync.
    expect(names, "the room name in bob's invite_state").toEqual(["Secret"]);
    expectStatus("bob joins", await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`, {}));
    await waitForMembers([alice, bob], roomId, [alice.userId, bob.userId]);

    // Remote displaynames in the member events, on both servers.
    for (const [viewer, user, name] of [
      [alice, bob, "Bob"],
      [bob, alice, "Alice"],
    ] as const) {
      const member = await viewer.get<Record<string, unknown>>(
        `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(user.userId)}`,
      );
      expect(member.body.displayname, `${viewer.userId} sees ${user.userId}'s member displayname`).toBe(name);
    }

    // Typing, both ways.
    for (const [typist, watcher] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      expectStatus(
        `${typist.userId} types`,
        await typist.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(typist.userId)}`, {
          typing: true,
          timeout: 20_000,
        }),
      );
      await syncUntil(watcher, `${watcher.userId} to see ${typist.userId} typing`, (res) => {
        const typing = res.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.typing");
        const ids = (typing?.content.user_ids ?? []) as string[];
        return ids.includes(typist.userId) ? true : undefined;
      });
      expectStatus(
        `${typist.userId} stops typing`,
        await typist.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(typist.userId)}`, {
          typing: false,
        }),
      );
    }

    // Read receipts, both ways.
    const fromAlice = await sendText(alice, roomId, "hello bob", "s2-1");
    const fromBob = await sendText(bob, roomId, "hello alice", "s2-2");
    for (const [reader, watcher, eventId] of [
      [bob, alice, fromAlice],
      [alice, bob, fromBob],
    ] as const) {
      await eventually(`${reader.userId} to have ${eventId}`, async () => {
        const res = await reader.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
        return res.status === 200;
      });
      expectStatus(
        `${reader.userId} sends a receipt`,
        await reader.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {}),
      );
      await syncUntil(watcher, `${watcher.userId} to see ${reader.userId}'s receipt`, (res) => {
        const receipt = res.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.receipt");
        const read = (receipt?.content[eventId] as Record<string, Record<string, unknown>> | undefined)?.[
          "m.read"
        ];
        return read?.[reader.userId] ? true : undefined;
      });
    }

    // Remote profiles: GET /profile of a user of the other server.
    for (const [viewer, user, name] of [
      [alice, bob, "Bob"],
      [bob, alice, "Alice"],
    ] as const) {
      const profile = expectStatus(
        `${viewer.userId} reads ${user.userId}'s profile`,
        await viewer.get<Record<string, unknown>>(`/_matrix/client/v3/profile/${enc(user.userId)}`),
      );
      expect(profile.displayname).toBe(name);
      const field = expectStatus(
        `${viewer.userId} reads ${user.userId}'s displayname`,
        await viewer.get<Record<string, unknown>>(
          `/_matrix/client/v3/profile/${enc(user.userId)}/displayname`,
        ),
      );
      expect(field.displayname).toBe(name);
    }

    // Presence, both ways: the status set on one server is visible on the other, through
    // GET /presence/{userId}/status and the presence section of /sync.
    for (const [user, watcher, msg] of [
      [alice, bob, "in a meeting"],
      [bob, alice, "on a train"],
    ] as const) {
      expectStatus(
        `${user.userId} sets presence`,
        await user.put(`/_matrix/client/v3/presence/${enc(user.userId)}/status`, {
          presence: "online",
          status_msg: msg,
        }),
      );
      await syncUntil(watcher, `${watcher.userId} to see ${user.userId}'s presence in /sync`, (res) => {
        const ev = res.presence?.events.find((e) => e.type === "m.presence" && e.sender === user.userId);
        return ev?.content.status_msg === msg ? true : undefined;
      });
      const status = await eventually(`${watcher.userId} to read ${user.userId}'s presence`, async () => {
        const res = await watcher.get<Record<string, unknown>>(
          `/_matrix/client/v3/presence/${enc(user.userId)}/status`,
        );
        return res.status === 200 && res.body.status_msg === msg ? res.body : undefined;
      });
      expect(status.presence).toBe("online");
    }
  }, 60_000);
});

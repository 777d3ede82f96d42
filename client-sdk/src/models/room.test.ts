import type { BasicEvent, ClientEvent } from "@hearth/federation/client";
import { describe, expect, it } from "vitest";
import { Room } from "./room.js";

const ME = "@me:x";
function room(
  state: Array<ClientEvent | BasicEvent>,
  options: { membership?: Room["membership"]; direct?: string } = {},
): Room {
  const r = new Room("!r:x", { userId: ME, directUserId: () => options.direct });
  for (const e of state) r.setState(e);
  r.membership = options.membership ?? "join";
  return r;
}
function member(userId: string, membership: string, displayname?: string, avatar?: string): BasicEvent {
  return {
    type: "m.room.member",
    state_key: userId,
    sender: userId,
    content: {
      membership,
      ...(displayname ? { displayname } : {}),
      ...(avatar ? { avatar_url: avatar } : {}),
    },
  };
}
const state = (type: string, content: Record<string, unknown>): BasicEvent => ({
  type,
  state_key: "",
  content,
});

describe("Room name (spec: Calculating the display name for a room)", () => {
  it("uses m.room.name, then the canonical alias", () => {
    expect(
      room([state("m.room.name", { name: "Hearth" }), state("m.room.canonical_alias", { alias: "#h:x" })])
        .name,
    ).toBe("Hearth");
    expect(
      room([state("m.room.name", { name: "" }), state("m.room.canonical_alias", { alias: "#h:x" })]).name,
    ).toBe("#h:x");
  });

  it("names rooms without a name after their heroes", () => {
    const me = member(ME, "join");
    expect(room([me, member("@a:x", "join", "Alice")]).name).toBe("Alice");
    expect(room([me, member("@a:x", "join", "Alice"), member("@b:x", "invite", "Bob")]).name).toBe(
      "Alice and Bob",
    );
    const many = [
      me,
      ...["a", "b", "c", "d", "e", "f", "g"].map((l) => member(`@${l}:x`, "join", l.toUpperCase())),
    ];
    expect(room(many).name).toBe("A, B, C, D, E and 2 others");
  });

  it("prefers the sync summary's heroes and counts", () => {
    const r = room([member(ME, "join"), member("@a:x", "join", "Alice")]);
    r.summary.heroes = ["@a:x", "@z:x"];
    r.summary.joinedMemberCount = 10;
    r.summary.invitedMemberCount = 1;
    expect(r.name).toBe("Alice, @z:x and 8 others");
  });

  it("says an empty room was someone's", () => {
    expect(room([member(ME, "join"), member("@a:x", "leave", "Alice")]).name).toBe("Empty Room (was Alice)");
    expect(room([member(ME, "join")]).name).toBe("Empty Room");
  });

  it("disambiguates display names shared by members", () => {
    const r = room([member(ME, "join"), member("@a:x", "join", "Sam"), member("@b:x", "join", "Sam")]);
    expect(r.name).toBe("Sam (@a:x) and Sam (@b:x)");
    expect(r.member("@a:x")!.name).toBe("Sam (@a:x)");
    expect(r.memberName("@nobody:x")).toBe("@nobody:x");
  });

  it("names an invite from its stripped state, or after the inviter", () => {
    const inviter = member("@carol:x", "join", "Carol");
    const mine: BasicEvent = { ...member(ME, "invite"), sender: "@carol:x" };
    const r = new Room("!i:x", { userId: ME, directUserId: () => undefined });
    r.membership = "invite";
    r.strippedState = [mine, inviter];
    expect(r.name).toBe("Carol");
    expect(r.inviter).toBe("@carol:x");
    r.strippedState = [mine];
    expect(r.name).toBe("@carol:x");
  });
});

describe("Room list data", () => {
  it("avatar: the room's, else the other user's in a direct chat", () => {
    const members = [member(ME, "join"), member("@a:x", "join", "Alice", "mxc://x/alice")];
    expect(room([...members, state("m.room.avatar", { url: "mxc://x/room" })]).avatarUrl).toBe(
      "mxc://x/room",
    );
    expect(room(members, { direct: "@a:x" }).avatarUrl).toBe("mxc://x/alice");
    expect(room(members).avatarUrl).toBeUndefined();
  });

  it("direct chats: from m.direct, or an invite marked is_direct", () => {
    expect(room([member(ME, "join")], { direct: "@a:x" }).isDirect).toBe(true);
    const invite = { ...member(ME, "invite"), content: { membership: "invite", is_direct: true } };
    expect(room([invite], { membership: "invite" }).isDirect).toBe(true);
    expect(room([member(ME, "join")]).isDirect).toBe(false);
  });

  it("receipts: threaded ones do not move the main read position", () => {
    const r = room([]);
    r.applyReceipts({ $1: { "m.read": { "@a:x": { ts: 1 } } } });
    r.applyReceipts({ $2: { "m.read": { "@a:x": { ts: 2, thread_id: "$root" } } } });
    expect(r.receipts.get("@a:x")?.eventId).toBe("$1");
    expect(r.readBy("$1")).toEqual(["@a:x"]);
  });
});

describe("Room power levels (spec: m.room.power_levels)", () => {
  const create = (sender: string, version: string, extra: Record<string, unknown> = {}): BasicEvent => ({
    type: "m.room.create",
    state_key: "",
    sender,
    content: { room_version: version, ...extra },
  });
  const pl = (content: Record<string, unknown>): BasicEvent => ({
    type: "m.room.power_levels",
    state_key: "",
    sender: ME,
    content,
  });

  it("without a power levels event, the creator has 100 and others 0, with the default levels", () => {
    const r = room([create(ME, "11")]);
    expect(r.powerLevel()).toBe(100);
    expect(r.powerLevel("@a:x")).toBe(0);
    expect(r.canDo("kick")).toBe(true);
    expect(r.canDo("invite", "@a:x")).toBe(true);
    expect(r.canDo("ban", "@a:x")).toBe(false);
    expect(r.canSend("m.room.name", { state: true }, "@a:x")).toBe(true);
    // Versions 1-10 name the creator in the content.
    expect(room([create("@other:x", "10", { creator: ME })]).powerLevel()).toBe(100);
  });

  it("reads users, users_default and the action levels, strings included", () => {
    const r = room([
      create("@c:x", "10", { creator: "@c:x" }),
      pl({
        users: { [ME]: "50", "@a:x": 100 },
        users_default: 10,
        kick: 60,
        invite: 20,
        events: { "m.room.topic": 5 },
      }),
    ]);
    expect(r.powerLevel()).toBe(50);
    expect(r.powerLevel("@b:x")).toBe(10);
    expect(r.canDo("kick")).toBe(false);
    expect(r.canDo("ban")).toBe(true);
    expect(r.canDo("invite", "@b:x")).toBe(false);
    expect(r.canSend("m.room.message", {}, "@b:x")).toBe(true);
    expect(r.canSend("m.room.name", { state: true }, "@b:x")).toBe(false);
    expect(r.canSend("m.room.topic", { state: true }, "@b:x")).toBe(true);
    expect(r.canModerate("ban", "@b:x")).toBe(true);
    expect(r.canModerate("ban", "@a:x")).toBe(false);
    expect(r.canRedact({ sender: ME })).toBe(true);
    expect(r.canRedact({ sender: "@b:x" })).toBe(true);
  });

  it("gives room version 12 creators infinite power", () => {
    const r = room([create(ME, "12", { additional_creators: ["@a:x"] }), pl({ users: { "@b:x": 100 } })]);
    expect(r.powerLevel()).toBe(Number.POSITIVE_INFINITY);
    expect(r.powerLevel("@a:x")).toBe(Number.POSITIVE_INFINITY);
    expect(r.canModerate("kick", "@b:x")).toBe(true);
    expect(r.canModerate("kick", "@a:x")).toBe(false);
  });
});

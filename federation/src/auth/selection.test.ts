import { describe, expect, it } from "vitest";
import { authEventTypes } from "./selection.js";

const A = "@a:x.test";
const B = "@b:y.test";

describe("authEventTypes", () => {
  it("selects nothing for m.room.create", () => {
    expect(authEventTypes({ type: "m.room.create", sender: A, state_key: "", content: {} }, "11")).toEqual(
      [],
    );
  });
  it("selects create, power levels and the sender's member event (v1–v11)", () => {
    expect(authEventTypes({ type: "m.room.message", sender: A, content: {} }, "11")).toEqual([
      ["m.room.create", ""],
      ["m.room.power_levels", ""],
      ["m.room.member", A],
    ]);
  });
  it("v12 does not select the create event", () => {
    expect(authEventTypes({ type: "m.room.message", sender: A, content: {} }, "12")).toEqual([
      ["m.room.power_levels", ""],
      ["m.room.member", A],
    ]);
  });
  it("member events: the target, and join rules for join/invite/knock but not leave/ban", () => {
    const sel = (membership: string, target = B) =>
      authEventTypes({ type: "m.room.member", sender: A, state_key: target, content: { membership } }, "10");
    expect(sel("invite")).toEqual([
      ["m.room.create", ""],
      ["m.room.power_levels", ""],
      ["m.room.member", A],
      ["m.room.member", B],
      ["m.room.join_rules", ""],
    ]);
    expect(sel("knock")).toContainEqual(["m.room.join_rules", ""]);
    expect(sel("leave")).not.toContainEqual(["m.room.join_rules", ""]);
    expect(sel("ban")).not.toContainEqual(["m.room.join_rules", ""]);
    // The sender's and the target's member event are one entry when they are the same user.
    expect(sel("join", A).filter(([t]) => t === "m.room.member")).toEqual([["m.room.member", A]]);
  });
  it("third-party invites select the invite by token", () => {
    const content = { membership: "invite", third_party_invite: { signed: { mxid: B, token: "tok" } } };
    expect(authEventTypes({ type: "m.room.member", sender: A, state_key: B, content }, "6")).toContainEqual([
      "m.room.third_party_invite",
      "tok",
    ]);
    const noToken = { membership: "invite", third_party_invite: { signed: { mxid: B } } };
    const sel = authEventTypes({ type: "m.room.member", sender: A, state_key: B, content: noToken }, "6");
    expect(sel.map(([t]) => t)).not.toContain("m.room.third_party_invite");
  });
  it("restricted joins select the authoriser's member event from v8", () => {
    const content = { membership: "join", join_authorised_via_users_server: "@c:z.test" };
    const ev = { type: "m.room.member", sender: B, state_key: B, content };
    expect(authEventTypes(ev, "8")).toContainEqual(["m.room.member", "@c:z.test"]);
    expect(authEventTypes(ev, "7")).not.toContainEqual(["m.room.member", "@c:z.test"]);
    const leave = { ...ev, content: { ...content, membership: "leave" } };
    expect(authEventTypes(leave, "8")).not.toContainEqual(["m.room.member", "@c:z.test"]);
  });
});

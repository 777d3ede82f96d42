import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../crypto/ed25519.js";
import { checkEventSignatures, requiredSignatories, type VerifyKeyLookup } from "./signature-check.js";
import { signEvent } from "./signing.js";

const a = generateSigningKey("ed25519:a");
const b = generateSigningKey("ed25519:b");
const keys: VerifyKeyLookup = (server, keyId) =>
  server === "a.org" && keyId === a.keyId
    ? { publicKey: a.publicKey, validUntilTs: 5_000 }
    : server === "b.org" && keyId === b.keyId
      ? { publicKey: b.publicKey }
      : undefined;

const message = {
  type: "m.room.message",
  room_id: "!r:a.org",
  sender: "@u:a.org",
  content: { body: "x" },
  origin_server_ts: 1_000,
  depth: 2,
  prev_events: [],
  auth_events: [],
};

describe("requiredSignatories", () => {
  it("needs the sender's server; in v1/v2 also the event ID's server", () => {
    expect(requiredSignatories(message, "11")).toEqual(["a.org"]);
    expect(requiredSignatories({ ...message, event_id: "$x:b.org" }, "1").sort()).toEqual(["a.org", "b.org"]);
    expect(requiredSignatories({ ...message, event_id: "$x:b.org" }, "3")).toEqual(["a.org"]);
  });

  it("needs the authorising server of a restricted join from v8, and not the sender's for a 3PID invite", () => {
    const join = {
      ...message,
      type: "m.room.member",
      state_key: "@u:a.org",
      content: { membership: "join", join_authorised_via_users_server: "@admin:b.org" },
    };
    expect(requiredSignatories(join, "8").sort()).toEqual(["a.org", "b.org"]);
    expect(requiredSignatories(join, "7")).toEqual(["a.org"]);
    const invite = { ...join, content: { membership: "invite", third_party_invite: { signed: {} } } };
    expect(requiredSignatories(invite, "10")).toEqual([]);
  });
});

describe("checkEventSignatures", () => {
  it("accepts a validly signed event and refuses a tampered one", () => {
    const signed = signEvent(message, "a.org", a, "11");
    expect(checkEventSignatures(signed, "11", keys)).toEqual([]);
    expect(checkEventSignatures({ ...signed, depth: 3 }, "11", keys)).toEqual([
      { serverName: "a.org", reason: "invalid", keyId: a.keyId },
    ]);
  });

  it("refuses missing signatures and signatures only by unknown keys", () => {
    expect(checkEventSignatures(message, "11", keys)).toEqual([{ serverName: "a.org", reason: "missing" }]);
    const byUnknown = signEvent(message, "a.org", generateSigningKey("ed25519:zz"), "11");
    expect(checkEventSignatures(byUnknown, "11", keys)).toEqual([
      { serverName: "a.org", reason: "no-known-key" },
    ]);
  });

  it("ignores keys whose validity ended before the event from room v5 on", () => {
    const late = signEvent({ ...message, origin_server_ts: 6_000 }, "a.org", a, "5");
    expect(checkEventSignatures(late, "5", keys)).toEqual([{ serverName: "a.org", reason: "no-known-key" }]);
    const lateV4 = signEvent({ ...message, origin_server_ts: 6_000 }, "a.org", a, "4");
    expect(checkEventSignatures(lateV4, "4", keys)).toEqual([]);
  });

  it("needs every required server's signature", () => {
    const join = {
      ...message,
      type: "m.room.member",
      state_key: "@u:a.org",
      content: { membership: "join", join_authorised_via_users_server: "@admin:b.org" },
    };
    const once = signEvent(join, "a.org", a, "10");
    expect(checkEventSignatures(once, "10", keys)).toEqual([{ serverName: "b.org", reason: "missing" }]);
    expect(checkEventSignatures(signEvent(once, "b.org", b, "10"), "10", keys)).toEqual([]);
  });
});

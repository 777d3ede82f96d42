import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../crypto/ed25519.js";
import { ROOM_VERSIONS } from "../room-versions/index.js";
import { computeEventId, roomIdFromCreateEvent } from "./event-id.js";
import { contentHash, verifyContentHash } from "./hashes.js";
import { redactEvent } from "./redaction.js";
import { signEvent, verifyEventSignature } from "./signing.js";

const VERSIONS = [...ROOM_VERSIONS.keys()];
const key = generateSigningKey("ed25519:test");

const EVENT_TYPES = [
  "m.room.member",
  "m.room.create",
  "m.room.join_rules",
  "m.room.power_levels",
  "m.room.aliases",
  "m.room.history_visibility",
  "m.room.redaction",
  "m.room.message",
  "m.room.topic",
  "org.example.custom",
];

const jsonLeaf = fc.oneof(
  fc.string(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.boolean(),
  fc.constant(null),
);
const content = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      "membership",
      "creator",
      "join_rule",
      "allow",
      "ban",
      "users",
      "redacts",
      "body",
      "invite",
    ),
    fc.string(),
  ),
  fc.oneof(jsonLeaf, fc.dictionary(fc.string(), jsonLeaf, { maxKeys: 3 })),
  { maxKeys: 6 },
);

const arbEvent = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  room_id: fc.constant("!room:example.org"),
  sender: fc.constant("@alice:example.org"),
  state_key: fc.option(fc.string(), { nil: undefined }),
  content,
  origin: fc.constant("example.org"),
  origin_server_ts: fc.integer({ min: 0, max: 2 ** 45 }),
  depth: fc.integer({ min: 1, max: 1000 }),
  prev_events: fc.array(fc.string(), { maxLength: 3 }),
  auth_events: fc.array(fc.string(), { maxLength: 3 }),
  unsigned: fc.constant({ age: 5 }),
  extra: fc.option(fc.string(), { nil: undefined }),
});

function clean<T extends object>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

describe("redactEvent", () => {
  it("is idempotent in every room version", () => {
    fc.assert(
      fc.property(arbEvent, fc.constantFrom(...VERSIONS), (ev, v) => {
        const once = redactEvent(clean(ev), v);
        expect(redactEvent(once, v)).toEqual(once);
        expect(once).not.toHaveProperty("unsigned");
        expect(once.content).toBeTypeOf("object");
      }),
    );
  });

  it("gives {} content when the event had none, and does not modify its input", () => {
    const ev = { type: "m.room.message", sender: "@a:b", unsigned: { age: 1 } };
    const copy = clean(ev);
    expect(redactEvent(ev, "11")).toEqual({ type: "m.room.message", sender: "@a:b", content: {} });
    expect(ev).toEqual(copy);
  });

  it("v11: keeps only third_party_invite.signed of a member event, and all create content", () => {
    const member = {
      type: "m.room.member",
      content: {
        membership: "invite",
        displayname: "x",
        third_party_invite: { display_name: "y", signed: { a: 1 } },
      },
    };
    expect(redactEvent(member, "11").content).toEqual({
      membership: "invite",
      third_party_invite: { signed: { a: 1 } },
    });
    expect(redactEvent(member, "10").content).toEqual({ membership: "invite" });
    const create = { type: "m.room.create", content: { creator: "@a:b", "m.federate": false, foo: [1] } };
    expect(redactEvent(create, "11").content).toEqual(create.content);
    expect(redactEvent(create, "10").content).toEqual({ creator: "@a:b" });
  });

  it("keeps m.room.aliases content only before v6, join rule allow from v8, and the authorising user from v9", () => {
    const aliases = { type: "m.room.aliases", content: { aliases: ["#a:b"] } };
    expect(redactEvent(aliases, "5").content).toEqual({ aliases: ["#a:b"] });
    expect(redactEvent(aliases, "6").content).toEqual({});
    const jr = { type: "m.room.join_rules", content: { join_rule: "restricted", allow: [] } };
    expect(redactEvent(jr, "7").content).toEqual({ join_rule: "restricted" });
    expect(redactEvent(jr, "8").content).toEqual({ join_rule: "restricted", allow: [] });
    const m = {
      type: "m.room.member",
      content: { membership: "join", join_authorised_via_users_server: "@u:s" },
    };
    expect(redactEvent(m, "8").content).toEqual({ membership: "join" });
    expect(redactEvent(m, "9").content).toEqual(m.content);
  });
});

describe("signEvent / verifyEventSignature", () => {
  it("verifies after signing, in every room version, also once redacted", () => {
    fc.assert(
      fc.property(arbEvent, fc.constantFrom(...VERSIONS), (ev, v) => {
        const event = clean({ ...ev, event_id: "$e:example.org" });
        const signed = signEvent(event, "example.org", key, v);
        expect(verifyEventSignature(signed, "example.org", key.keyId, key.publicKey, v)).toBe(true);
        expect(verifyContentHash(signed, v)).toBe(true);
        expect(verifyEventSignature(redactEvent(signed, v), "example.org", key.keyId, key.publicKey, v)).toBe(
          true,
        );
        expect(verifyEventSignature(signed, "other.org", key.keyId, key.publicKey, v)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it("fails after any change: the signature or the content hash no longer holds", () => {
    fc.assert(
      fc.property(
        arbEvent,
        fc.constantFrom(...VERSIONS),
        fc.constantFrom(
          "type",
          "sender",
          "content",
          "depth",
          "origin_server_ts",
          "prev_events",
          "auth_events",
          "extra",
        ),
        (ev, v, field) => {
          const signed = signEvent(
            clean({ ...ev, event_id: "$e:example.org" }),
            "example.org",
            key,
            v,
          ) as Record<string, unknown>;
          const changed = { ...signed };
          changed[field] =
            field === "content"
              ? { ...(signed.content as object), changed_: 1 }
              : Array.isArray(signed[field])
                ? [...(signed[field] as unknown[]), "$x"]
                : typeof signed[field] === "number"
                  ? (signed[field] as number) + 1
                  : `${String(signed[field])}-changed`;
          const sigOk = verifyEventSignature(changed, "example.org", key.keyId, key.publicKey, v);
          const hashOk = verifyContentHash(changed, v);
          expect(sigOk && hashOk).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("does not sign or hash an internal event_id in v3+, but does in v1/v2", () => {
    const ev = {
      type: "m.room.message",
      room_id: "!r:x",
      sender: "@a:x",
      content: {},
      depth: 1,
      origin_server_ts: 1,
    };
    const a = signEvent({ ...ev, event_id: "$one" }, "x", key, "10");
    const b = signEvent({ ...ev, event_id: "$two" }, "x", key, "10");
    expect(a.signatures).toEqual(b.signatures);
    expect(a.event_id).toBe("$one");
    expect(verifyEventSignature({ ...a, event_id: "$other" }, "x", key.keyId, key.publicKey, "10")).toBe(
      true,
    );
    const c = signEvent({ ...ev, event_id: "$one:x" }, "x", key, "1");
    const d = signEvent({ ...ev, event_id: "$two:x" }, "x", key, "1");
    expect(c.signatures).not.toEqual(d.signatures);
    expect(contentHash({ ...ev, event_id: "$one" })).toBe(contentHash(ev));
    expect(contentHash({ ...ev, event_id: "$one:x" })).not.toBe(contentHash(ev));
  });

  it("keeps other servers' signatures", () => {
    const ev = { type: "m.room.member", state_key: "@a:x", content: { membership: "join" }, sender: "@a:x" };
    const once = signEvent(ev, "x", key, "11");
    const other = generateSigningKey("ed25519:o");
    const twice = signEvent(once, "y", other, "11");
    expect(verifyEventSignature(twice, "x", key.keyId, key.publicKey, "11")).toBe(true);
    expect(verifyEventSignature(twice, "y", other.keyId, other.publicKey, "11")).toBe(true);
  });
});

describe("v12 room IDs", () => {
  it("is the create event's ID with ! instead of $", () => {
    const create = {
      type: "m.room.create",
      state_key: "",
      sender: "@a:example.org",
      content: { room_version: "12" },
      origin_server_ts: 1,
      depth: 1,
      prev_events: [],
      auth_events: [],
    };
    const id = roomIdFromCreateEvent(create, "12");
    expect(id).toBe("!" + computeEventId(create, "12").slice(1));
    expect(id).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect(roomIdFromCreateEvent(create, "11")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { checkPduFormat, EventTooLargeError, eventSize, MAX_EVENT_BYTES } from "./format.js";

const v11 = {
  type: "m.room.message",
  room_id: "!r:example.org",
  sender: "@a:example.org",
  content: { body: "hi" },
  origin_server_ts: 1,
  depth: 3,
  prev_events: ["$p"],
  auth_events: ["$a"],
  hashes: { sha256: "x" },
  signatures: { "example.org": { "ed25519:1": "s" } },
};
const v1 = { ...v11, event_id: "$e:example.org", prev_events: [["$p:x", { sha256: "h" }]], auth_events: [] };

function invalid(event: unknown, version: string, message: RegExp): void {
  expect(() => checkPduFormat(event, version)).toThrow(message);
}

describe("checkPduFormat", () => {
  it("accepts well-formed events of each reference format", () => {
    expect(() => checkPduFormat(v11, "11")).not.toThrow();
    expect(() => checkPduFormat(v1, "1")).not.toThrow();
  });

  it("refuses missing or mistyped fields", () => {
    invalid(null, "11", /JSON object/);
    invalid([], "11", /JSON object/);
    invalid({ ...v11, type: 5 }, "11", /type must be a string/);
    invalid({ ...v11, sender: undefined }, "11", /missing sender/);
    invalid({ ...v11, room_id: undefined }, "11", /missing room_id/);
    invalid({ ...v11, content: [] }, "11", /content/);
    invalid({ ...v11, depth: -1 }, "11", /depth/);
    invalid({ ...v11, depth: 1.5 }, "11", /depth/);
    invalid({ ...v11, origin_server_ts: "1" }, "11", /origin_server_ts/);
    invalid({ ...v11, hashes: {} }, "11", /hashes/);
    invalid({ ...v11, signatures: { x: { k: 1 } } }, "11", /signatures/);
    invalid({ ...v11, state_key: 1 }, "11", /state_key/);
    invalid({ ...v11, unsigned: 1 }, "11", /unsigned/);
  });

  it("requires event_id and [id, hash] references in v1/v2, plain IDs in v3+", () => {
    invalid({ ...v1, event_id: undefined }, "1", /missing event_id/);
    invalid(v11, "2", /event_id|wrong format/);
    invalid({ ...v11, prev_events: [["$p", { sha256: "h" }]] }, "3", /prev_events/);
    invalid({ ...v1, auth_events: ["$a"] }, "1", /auth_events/);
  });

  it("lets a v12 create event omit room_id, but no other event", () => {
    const create = {
      ...v11,
      type: "m.room.create",
      state_key: "",
      room_id: undefined,
      prev_events: [],
      auth_events: [],
    };
    expect(() => checkPduFormat(create, "12")).not.toThrow();
    invalid(create, "11", /missing room_id/);
    invalid({ ...v11, room_id: undefined }, "12", /missing room_id/);
  });

  it("limits IDs, type and state_key to 255 bytes", () => {
    expect(() => checkPduFormat({ ...v11, state_key: "é".repeat(127) }, "11")).not.toThrow();
    invalid({ ...v11, state_key: "é".repeat(128) }, "11", /state_key is over 255 bytes/);
    invalid({ ...v11, type: "t".repeat(256) }, "11", /type is over/);
    invalid({ ...v11, sender: `@${"a".repeat(250)}:example.org` }, "11", /sender is over/);
  });

  it("enforces canonical JSON from v6 only", () => {
    const floaty = { ...v11, content: { n: 1.5 } };
    invalid(floaty, "6", /canonical JSON/);
    invalid({ ...v11, content: { n: 2 ** 60 } }, "10", /canonical JSON/);
    expect(() => checkPduFormat({ ...floaty, prev_events: ["$p"] }, "5")).not.toThrow();
  });

  it("refuses events over 65 536 bytes with EventTooLargeError", () => {
    const base = eventSize({ ...v11, content: { body: "" } });
    const fits = { ...v11, content: { body: "x".repeat(MAX_EVENT_BYTES - base) } };
    expect(eventSize(fits)).toBe(MAX_EVENT_BYTES);
    expect(() => checkPduFormat(fits, "11")).not.toThrow();
    const over = { ...v11, content: { body: "x".repeat(MAX_EVENT_BYTES - base + 1) } };
    expect(() => checkPduFormat(over, "11")).toThrow(EventTooLargeError);
  });
});

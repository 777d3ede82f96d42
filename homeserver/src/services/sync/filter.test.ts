import { describe, expect, it } from "vitest";
import {
  applyEventFields,
  globMatches,
  matchesRoomEventFilter,
  parseFilter,
  parseRoomEventFilter,
} from "./filter.js";
import { formatSyncToken, parsePaginationToken, parseSyncToken, tokenBefore } from "./tokens.js";

describe("filters", () => {
  it("matches types with * wildcards; not_types and not_senders win", () => {
    expect(globMatches("m.room.*", "m.room.message")).toBe(true);
    expect(globMatches("m.room.*", "m.roomy")).toBe(false);
    expect(globMatches("m.*.message", "m.room.message")).toBe(true);
    expect(globMatches("m.room.message", "m.room.messages")).toBe(false);
    expect(globMatches("a.b", "aXb")).toBe(false);
    const f = parseRoomEventFilter(
      { types: ["m.*"], not_types: ["m.room.member"], not_senders: ["@x:y"] },
      "query",
    );
    expect(matchesRoomEventFilter(f, { type: "m.room.message", sender: "@a:y" })).toBe(true);
    expect(matchesRoomEventFilter(f, { type: "m.room.member", sender: "@a:y" })).toBe(false);
    expect(matchesRoomEventFilter(f, { type: "m.room.message", sender: "@x:y" })).toBe(false);
    expect(matchesRoomEventFilter(f, { type: "org.other", sender: "@a:y" })).toBe(false);
    const rooms = parseRoomEventFilter({ rooms: ["!a:y", "!b:y"], not_rooms: ["!b:y"] }, "query");
    expect(matchesRoomEventFilter(rooms, { type: "t", roomId: "!a:y" })).toBe(true);
    expect(matchesRoomEventFilter(rooms, { type: "t", roomId: "!b:y" })).toBe(false);
    const url = parseRoomEventFilter({ contains_url: false }, "query");
    expect(matchesRoomEventFilter(url, { type: "t", content: { url: "mxc://a/b" } })).toBe(false);
    expect(matchesRoomEventFilter(url, { type: "t", content: {} })).toBe(true);
  });

  it("clamps large limits and refuses wrong shapes with the errcode of the source", () => {
    expect(parseFilter({ room: { timeline: { limit: 10_000_000 } } }, "body").room?.timeline?.limit).toBe(
      1000,
    );
    expect(() => parseFilter({ room: { timeline: { limit: 1.5 } } }, "body")).toThrow(
      expect.objectContaining({ errcode: "M_BAD_JSON" }),
    );
    expect(() => parseFilter([], "query")).toThrow(expect.objectContaining({ errcode: "M_INVALID_PARAM" }));
  });

  it("keeps only event_fields, with escaped dots", () => {
    const ev = { type: "t", content: { body: "b", "a.b": 1, other: 2 }, sender: "@s:y" };
    expect(applyEventFields(ev, ["content.body", "content.a\\.b", "nope.x"])).toEqual({
      content: { body: "b", "a.b": 1 },
    });
    expect(applyEventFields(ev, undefined)).toBe(ev);
  });
});

describe("tokens", () => {
  it("round-trips sync tokens and accepts tokens with more streams", () => {
    const t = {
      events: 12,
      accountData: 3,
      receipts: 4,
      typing: 1_700_000_000_000,
      presence: 9,
      toDevice: 2,
      deviceLists: 5,
    };
    expect(parseSyncToken(formatSyncToken(t))).toEqual(t);
    expect(parseSyncToken("s5")).toEqual({
      events: 5,
      accountData: 0,
      receipts: 0,
      typing: 0,
      presence: 0,
      toDevice: 0,
      deviceLists: 0,
    });
    expect(parseSyncToken("s5_6_7_8_9_10_11_12")).toEqual({
      events: 5,
      accountData: 6,
      receipts: 7,
      typing: 8,
      presence: 9,
      toDevice: 10,
      deviceLists: 11,
    });
    for (const bad of ["", "5_6", "s-1_0", "sx", "s1_", "s99999999999999999"]) {
      expect(() => parseSyncToken(bad), bad).toThrow(expect.objectContaining({ errcode: "M_INVALID_PARAM" }));
    }
  });

  it("parses pagination tokens of both kinds", () => {
    expect(parsePaginationToken("t3_17", "from")).toEqual({ kind: "topo", depth: 3, stream: 17 });
    expect(parsePaginationToken("s9_1", "from")).toEqual({
      kind: "sync",
      events: 9,
      accountData: 1,
      receipts: 0,
      typing: 0,
      presence: 0,
      toDevice: 0,
      deviceLists: 0,
    });
    expect(() => parsePaginationToken("t3", "from")).toThrow();
    expect(tokenBefore({ depth: 4, stream: 10 })).toEqual({ depth: 4, stream: 9 });
  });
});

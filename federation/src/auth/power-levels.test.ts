import { describe, expect, it } from "vitest";
import {
  namedPowerLevel,
  parsePowerLevelsContent,
  parsePowerLevelValue,
  requiredPowerLevel,
  roomCreators,
  userPowerLevel,
} from "./power-levels.js";

const create = (sender: string, content: Record<string, unknown> = {}): object => ({
  type: "m.room.create",
  sender,
  state_key: "",
  content,
});
const pl = (content: Record<string, unknown>): object => ({
  type: "m.room.power_levels",
  state_key: "",
  content,
});

describe("parsePowerLevelValue", () => {
  it("v1–v5 (lenient-with-floats): integers, integer strings, truncated floats", () => {
    const m = "lenient-with-floats";
    expect(parsePowerLevelValue(50, m)).toBe(50);
    expect(parsePowerLevelValue("100", m)).toBe(100);
    expect(parsePowerLevelValue("000100", m)).toBe(100);
    expect(parsePowerLevelValue(" +100 ", m)).toBe(100);
    expect(parsePowerLevelValue(" -100 ", m)).toBe(-100);
    expect(parsePowerLevelValue(5.114698e4, m)).toBe(51146);
    expect(parsePowerLevelValue(50.57, m)).toBe(50);
    expect(parsePowerLevelValue(-0.5, m)).toBe(0);
    expect(Object.is(parsePowerLevelValue(-0.5, m), -0)).toBe(false);
    for (const bad of [
      "50.5",
      "1e3",
      "++1",
      "",
      " ",
      "abc",
      Number.POSITIVE_INFINITY,
      Number.NaN,
      null,
      true,
      [],
      {},
    ]) {
      expect(parsePowerLevelValue(bad, m)).toBeUndefined();
    }
  });
  it("v6–v9 (integer-or-string): no floats", () => {
    const m = "integer-or-string";
    expect(parsePowerLevelValue(" 007 ", m)).toBe(7);
    expect(parsePowerLevelValue(7, m)).toBe(7);
    expect(parsePowerLevelValue(7.5, m)).toBeUndefined();
  });
  it("v10+ (integer-only): integers only", () => {
    const m = "integer-only";
    expect(parsePowerLevelValue(-3, m)).toBe(-3);
    expect(parsePowerLevelValue("7", m)).toBeUndefined();
    expect(parsePowerLevelValue(7.5, m)).toBeUndefined();
  });
});

describe("parsePowerLevelsContent", () => {
  it("reads valid values and reports invalid ones", () => {
    const { levels, problems } = parsePowerLevelsContent(
      { ban: "60", kick: "x", events: { a: 1, b: "y" }, users: { "@u:s.test": 5, bad: 1 } },
      "integer-or-string",
    );
    expect(levels.named).toEqual({ ban: 60 });
    expect([...levels.events]).toEqual([["a", 1]]);
    expect([...levels.users]).toEqual([["@u:s.test", 5]]);
    expect(problems.map((p) => p.property)).toEqual(["kick", "events", "users"]);
  });
});

describe("userPowerLevel", () => {
  it("v12: creators (sender and additional_creators) are infinite, whatever power levels say", () => {
    const c = create("@a:x.test", { additional_creators: ["@b:y.test"] });
    expect(userPowerLevel("@a:x.test", undefined, c, "12")).toBe(Number.POSITIVE_INFINITY);
    expect(userPowerLevel("@b:y.test", pl({ users_default: 5 }), c, "12")).toBe(Number.POSITIVE_INFINITY);
    expect(userPowerLevel("@c:z.test", undefined, c, "12")).toBe(0);
    expect(userPowerLevel("@c:z.test", pl({ users_default: 5 }), c, "12")).toBe(5);
  });
  it("v11: the create sender has 100 without power levels; additional_creators means nothing", () => {
    const c = create("@a:x.test", { additional_creators: ["@b:y.test"] });
    expect(userPowerLevel("@a:x.test", undefined, c, "11")).toBe(100);
    expect(userPowerLevel("@b:y.test", undefined, c, "11")).toBe(0);
    expect(userPowerLevel("@a:x.test", pl({ users: { "@a:x.test": 30 } }), c, "11")).toBe(30);
  });
  it("v1–v10: content.creator has 100 without power levels", () => {
    const c = create("@a:x.test", { creator: "@b:y.test" });
    expect(userPowerLevel("@b:y.test", undefined, c, "10")).toBe(100);
    expect(userPowerLevel("@a:x.test", undefined, c, "10")).toBe(0);
  });
  it("users, then users_default, then 0; strings per version", () => {
    const c = create("@a:x.test", { creator: "@a:x.test" });
    const levels = pl({ users: { "@u:s.test": "40" }, users_default: 3 });
    expect(userPowerLevel("@u:s.test", levels, c, "1")).toBe(40);
    expect(userPowerLevel("@u:s.test", levels, c, "11")).toBe(3); // "40" is not a v11 value
    expect(userPowerLevel("@v:s.test", levels, c, "11")).toBe(3);
    expect(userPowerLevel("@v:s.test", pl({}), c, "11")).toBe(0);
    expect(userPowerLevel("@a:x.test", pl({}), c, "11")).toBe(0);
  });
  it("throws for an unknown room version", () => {
    expect(() => userPowerLevel("@a:x.test", undefined, create("@a:x.test"), "13")).toThrow(/Unsupported/);
  });
});

describe("requiredPowerLevel and named levels", () => {
  it("events[type], else state_default (50) or events_default (0)", () => {
    const levels = pl({ events: { "m.room.name": 20 }, state_default: 40, events_default: 10 });
    expect(requiredPowerLevel("m.room.name", "", levels, "10")).toBe(20);
    expect(requiredPowerLevel("m.room.topic", "", levels, "10")).toBe(40);
    expect(requiredPowerLevel("m.room.message", undefined, levels, "10")).toBe(10);
    expect(requiredPowerLevel("m.room.topic", "", undefined, "10")).toBe(50);
    expect(requiredPowerLevel("m.room.message", undefined, undefined, "10")).toBe(0);
  });
  it("defaults: invite 0, kick/ban/redact 50", () => {
    expect(namedPowerLevel("invite", undefined, "10")).toBe(0);
    expect(namedPowerLevel("kick", undefined, "10")).toBe(50);
    expect(namedPowerLevel("ban", pl({}), "10")).toBe(50);
    expect(namedPowerLevel("redact", pl({ redact: 7 }), "10")).toBe(7);
  });
  it("roomCreators per version", () => {
    const c = create("@a:x.test", { creator: "@b:y.test", additional_creators: ["@c:z.test", "@a:x.test"] });
    expect(roomCreators(c, "10")).toEqual(["@b:y.test"]);
    expect(roomCreators(c, "11")).toEqual(["@a:x.test"]);
    expect(roomCreators(c, "12")).toEqual(["@a:x.test", "@c:z.test"]);
  });
});

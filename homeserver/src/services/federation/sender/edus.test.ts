import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
import { presenceEdu, receiptEdu, typingEdu } from "./edus.js";

describe("EDU builders", () => {
  it("m.typing carries room, user and state", () => {
    expect(typingEdu("!r:a", "@u:a", true)).toEqual({
      edu_type: "m.typing",
      content: { room_id: "!r:a", user_id: "@u:a", typing: true },
    });
  });

  it("m.receipt nests room → m.read → user, with ts and an optional thread", () => {
    expect(receiptEdu("!r:a", "@u:a", "$e", { ts: 5 })).toEqual({
      edu_type: "m.receipt",
      content: { "!r:a": { "m.read": { "@u:a": { event_ids: ["$e"], data: { ts: 5 } } } } },
    });
    expect(receiptEdu("!r:a", "@u:a", "$e", { ts: 5, thread_id: "main" }).content).toEqual({
      "!r:a": { "m.read": { "@u:a": { event_ids: ["$e"], data: { ts: 5, thread_id: "main" } } } },
    });
  });

  it("m.presence pushes updates", () => {
    expect(presenceEdu([{ user_id: "@u:a", presence: "online", last_active_ago: 3 }])).toEqual({
      edu_type: "m.presence",
      content: { push: [{ user_id: "@u:a", presence: "online", last_active_ago: 3 }] },
    });
  });
});

describe("backoffDelay", () => {
  it("doubles from 1 s and stops at 10 minutes", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffDelay(DEFAULT_BACKOFF, n, mid))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(backoffDelay(DEFAULT_BACKOFF, 10, mid)).toBe(512_000);
    expect(backoffDelay(DEFAULT_BACKOFF, 11, mid)).toBe(600_000);
    expect(backoffDelay(DEFAULT_BACKOFF, 10_000, mid)).toBe(600_000);
  });

  it("jitters within ±20 %", () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0)).toBe(800);
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0.999_999)).toBe(1_200);
    expect(backoffDelay(DEFAULT_BACKOFF, 50, () => 0.999_999)).toBeLessThanOrEqual(720_000);
  });
});

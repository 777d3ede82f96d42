// Redaction, content hashes and event IDs for room versions 1–12 against vectors from an independent
// Python implementation of the spec text (testing/vectors/generate.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { computeEventId, contentHash, eventIdOf, redactEvent, verifyContentHash } from "../src/index.js";

interface Vector {
  version: string;
  event: Record<string, unknown>;
  redacted: Record<string, unknown>;
  event_id: string;
  content_hash: string;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL("./vectors/event-vectors.json", import.meta.url), "utf8"),
) as Vector[];

describe("event vectors (independent implementation)", () => {
  it("has vectors for every room version", () => {
    expect(new Set(vectors.map((v) => v.version))).toEqual(
      new Set(Array.from({ length: 12 }, (_, i) => `${i + 1}`)),
    );
  });

  it.each(vectors.map((v) => [v.version, v.event.type as string, v] as const))(
    "room v%s, %s: redaction, content hash, event ID",
    (version, _type, v) => {
      expect(redactEvent(v.event, version)).toEqual(v.redacted);
      expect(contentHash(v.event, version)).toBe(v.content_hash);
      // The event carries a v1-style event_id; for v3+ it is ignored when computing the ID.
      expect(computeEventId(v.event, version)).toBe(v.event_id);
    },
  );
});

describe("event ID formats", () => {
  const base = {
    type: "m.room.message",
    room_id: "!r:example.org",
    sender: "@a:example.org",
    content: { body: "x" },
    origin_server_ts: 1,
    depth: 1,
    prev_events: [],
    auth_events: [],
  };

  it("v1/v2 use the event's own event_id and require it", () => {
    expect(computeEventId({ ...base, event_id: "$abc:example.org" }, "1")).toBe("$abc:example.org");
    expect(computeEventId({ ...base, event_id: "$abc:example.org" }, "2")).toBe("$abc:example.org");
    expect(() => computeEventId(base, "1")).toThrow(/event_id/);
  });

  it("v3 uses standard base64 and v4+ URL-safe base64 of the same hash", () => {
    // Find an event whose hash has a character that differs between the two alphabets.
    for (let ts = 0; ts < 200; ts++) {
      const ev = { ...base, origin_server_ts: ts };
      const v3 = computeEventId(ev, "3");
      if (!/[+/]/.test(v3)) continue;
      const v4 = computeEventId(ev, "4");
      expect(v4).toBe(v3.replace(/\+/g, "-").replace(/\//g, "_"));
      expect(v3).toMatch(/^\$[A-Za-z0-9+/]{43}$/);
      expect(v4).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
      for (const v of ["5", "6", "7", "8", "9", "10"]) expect(computeEventId(ev, v)).toBe(v4);
      return;
    }
    throw new Error("no event with + or / in its ID found");
  });

  it("ignores unsigned, signatures and a carried event_id in v3+", () => {
    const id = computeEventId(base, "11");
    expect(
      computeEventId({ ...base, unsigned: { age: 5 }, signatures: { x: { "ed25519:1": "s" } } }, "11"),
    ).toBe(id);
    expect(computeEventId({ ...base, event_id: "$whatever" }, "11")).toBe(id);
    expect(eventIdOf({ ...base, event_id: "$whatever" }, "11")).toBe("$whatever");
    expect(eventIdOf(base, "11")).toBe(id);
  });

  it("covers content only through the content hash (redacted content is not hashed)", () => {
    const withHash = { ...base, hashes: { sha256: "aaa" } };
    expect(computeEventId({ ...withHash, content: { body: "y" } }, "11")).toBe(
      computeEventId(withHash, "11"),
    );
    expect(computeEventId({ ...withHash, hashes: { sha256: "bbb" } }, "11")).not.toBe(
      computeEventId(withHash, "11"),
    );
  });

  it("refuses unknown room versions", () => {
    expect(() => computeEventId(base, "13")).toThrow(
      expect.objectContaining({ errcode: "M_UNSUPPORTED_ROOM_VERSION" }),
    );
    expect(() => redactEvent(base, "org.example.v1")).toThrow(
      expect.objectContaining({ errcode: "M_UNSUPPORTED_ROOM_VERSION" }),
    );
  });
});

describe("a real event from the public federation", () => {
  // An m.room.create event of a real room (room version 5) created by Synapse on jki.re, as published
  // in matrix-org/gomatrixserverlib's event-ID tests. Its ID and content hash were computed by Synapse.
  const create = {
    auth_events: [],
    prev_events: [],
    type: "m.room.create",
    room_id: "!uXDCzlYgCTHtiWCkEx:jki.re",
    sender: "@erikj:jki.re",
    content: {
      room_version: "5",
      predecessor: {
        room_id: "!gdRMqOrTFdOCYHNwOo:half-shot.uk",
        event_id: "$LP7ROBc4b+cMc1UE9haIz8q5AK2AIW4eJ90FfKLvyZI",
      },
      creator: "@erikj:jki.re",
    },
    depth: 1,
    prev_state: [],
    state_key: "",
    origin: "jki.re",
    origin_server_ts: 1560284621137,
    hashes: { sha256: "IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc" },
    signatures: {
      "jki.re": {
        "ed25519:auto":
          "O4IyFfF2PPtGp5uaDm8t57dZbdh8vc8Q64LgCwvzYRVItAMI0uisfiAFaxkVT7MRpzh6N2QNN5NMRXZKmgPYDA",
      },
    },
    unsigned: { age: 1321650 },
  };

  it("has the event ID Synapse gave it (v3 and v4+ encodings)", () => {
    expect(computeEventId(create, "3")).toBe("$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438");
    expect(computeEventId(create, "5")).toBe("$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438");
  });

  it("has a matching content hash", () => {
    expect(verifyContentHash(create, "5")).toBe(true);
    expect(verifyContentHash({ ...create, content: { ...create.content, creator: "@x:jki.re" } }, "5")).toBe(
      false,
    );
  });
});

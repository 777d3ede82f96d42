/**
 * The differences of room versions 1–9 from v10: rule numbering, the aliases rule (v1–v5), the
 * redaction rule (v1, v2), stringy/floaty power levels, notifications (v6+), knocking (v7+),
 * restricted joins (v8+), knock_restricted (v10+), and the `creator` field.
 */
import { describe, expect, it } from "vitest";
import { ALICE, BOB, CAROL, DAVE, type TestEvent, TestRoom } from "./test-room.js";

const ALL = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

describe("rule numbering across versions", () => {
  // The sender-is-state_key join rule: v1–v5 5.2.2, v6–v7 4.2.2, v8–v11 4.3.2, v12 5.3.2.
  const expected: Record<string, string> = {
    "1": "5.2.2",
    "2": "5.2.2",
    "3": "5.2.2",
    "4": "5.2.2",
    "5": "5.2.2",
    "6": "4.2.2",
    "7": "4.2.2",
    "8": "4.3.2",
    "9": "4.3.2",
    "10": "4.3.2",
    "11": "4.3.2",
    "12": "5.3.2",
  };
  for (const version of ALL) {
    it(`v${version}: a join for someone else fails rule ${expected[version]}`, () => {
      const room = TestRoom.standard(version);
      expect(room.check(room.member(ALICE, BOB, "join"))).toBe(expected[version]);
    });
  }
  it("the power levels rules: users check is 10.1 (v1–v5), 9.1 (v6–v9), 9.3 (v10, v11), 10.3 (v12)", () => {
    const want: Record<string, string> = {
      "1": "10.1",
      "5": "10.1",
      "6": "9.1",
      "9": "9.1",
      "10": "9.3",
      "12": "10.3",
    };
    for (const [version, rule] of Object.entries(want)) {
      const room = TestRoom.standard(version);
      const ev = room.event({
        type: "m.room.power_levels",
        sender: ALICE,
        state_key: "",
        content: { users: { nobody: 1 } },
      });
      expect(room.check(ev)).toBe(rule);
    }
  });
  it("the sender-joined rule is 6 (v1–v5), 5 (v6–v11), 6 (v12)", () => {
    const want: Record<string, string> = { "1": "6", "3": "6", "5": "6", "6": "5", "11": "5", "12": "6" };
    for (const [version, rule] of Object.entries(want)) {
      const room = TestRoom.standard(version);
      expect(room.check(room.event({ type: "m.room.message", sender: BOB }))).toBe(rule);
    }
  });
});

describe("v1 and v2 event references", () => {
  it("reads [id, hash] references in auth_events and prev_events", () => {
    const room = new TestRoom("1");
    const join = room.member(ALICE, ALICE, "join");
    expect(Array.isArray((join.prev_events as unknown[])[0])).toBe(true);
    expect(room.check(join)).toBe("allowed");
  });
});

describe("create: content.creator (v1–v10) and creator semantics", () => {
  const create = (content: Record<string, unknown>): TestEvent => ({
    type: "m.room.create",
    sender: ALICE,
    state_key: "",
    room_id: "!r:a.test",
    event_id: "$c:a.test",
    content,
    prev_events: [],
    auth_events: [],
  });
  for (const version of ["1", "6", "9", "10"]) {
    it(`v${version} rejects a create event without creator (1.4)`, () => {
      const room = new TestRoom(version);
      expect(room.check(create({}), {}, [])).toBe("1.4");
      expect(room.check(create({ creator: ALICE }), {}, [])).toBe("allowed");
    });
  }
  it("v11 does not require creator", () => {
    const room = new TestRoom("11");
    expect(room.check(create({}), {}, [])).toBe("allowed");
  });
  it("v10: the first join is allowed for content.creator; v11: for the create sender", () => {
    const v10 = new TestRoom("10", ALICE, { creator: BOB });
    expect(v10.check(v10.member(BOB, BOB, "join"))).toBe("allowed");
    expect(v10.check(v10.member(ALICE, ALICE, "join"))).toBe("4.3.7");
    const v11 = new TestRoom("11", ALICE, { creator: BOB });
    expect(v11.check(v11.member(ALICE, ALICE, "join"))).toBe("allowed");
    expect(v11.check(v11.member(BOB, BOB, "join"))).toBe("4.3.7");
  });
  it("v1–v11 check the room_id domain (1.2); v12 rejects any room_id", () => {
    const room = new TestRoom("5");
    expect(room.check({ ...create({ creator: ALICE }), room_id: "!r:b.test" }, {}, [])).toBe("1.2");
    expect(room.check({ ...create({ creator: ALICE }), room_id: "no-domain" }, {}, [])).toBe("1.2");
  });
});

describe("m.room.aliases (v1–v5 rule 4)", () => {
  for (const version of ["1", "5"]) {
    it(`v${version}: allows a non-member to set the aliases of its own server`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({
        type: "m.room.aliases",
        sender: BOB,
        state_key: "b.test",
        content: { aliases: [] },
      });
      expect(room.check(ev)).toBe("allowed");
    });
    it(`v${version}: 4.2 rejects a state_key other than the sender's domain`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({
        type: "m.room.aliases",
        sender: BOB,
        state_key: "a.test",
        content: { aliases: [] },
      });
      expect(room.check(ev)).toBe("4.2");
    });
    it(`v${version}: 4.1 rejects an aliases event without state_key`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.aliases", sender: BOB, content: { aliases: [] } });
      expect(room.check(ev)).toBe("4.1");
    });
  }
  it("v6: aliases events are ordinary state events (sender must be joined)", () => {
    const room = TestRoom.standard("6");
    const ev = room.event({
      type: "m.room.aliases",
      sender: BOB,
      state_key: "b.test",
      content: { aliases: [] },
    });
    expect(room.check(ev)).toBe("5");
  });
});

describe("m.room.redaction (v1, v2 rule 11)", () => {
  for (const version of ["1", "2"]) {
    const setup = (): { room: TestRoom; fromAlice: TestEvent; fromBob: TestEvent } => {
      const room = TestRoom.standard(version);
      room.join(BOB);
      const fromAlice = room.send({ type: "m.room.message", sender: ALICE, content: { body: "a" } });
      const fromBob = room.send({ type: "m.room.message", sender: BOB, content: { body: "b" } });
      return { room, fromAlice, fromBob };
    };
    it(`v${version}: 11.1 allows a sender at the redact level`, () => {
      const { room, fromBob } = setup();
      expect(
        room.check(room.event({ type: "m.room.redaction", sender: ALICE, redacts: fromBob.event_id })),
      ).toBe("allowed");
    });
    it(`v${version}: 11.2 allows redacting an event from the redaction's own server`, () => {
      const { room, fromBob } = setup();
      expect(
        room.check(room.event({ type: "m.room.redaction", sender: BOB, redacts: fromBob.event_id })),
      ).toBe("allowed");
    });
    it(`v${version}: 11.3 rejects redacting another server's event below the redact level`, () => {
      const { room, fromAlice } = setup();
      expect(
        room.check(room.event({ type: "m.room.redaction", sender: BOB, redacts: fromAlice.event_id })),
      ).toBe("11.3");
    });
  }
  it("v3: no redaction rule; the same redaction is allowed", () => {
    const room = TestRoom.standard("3");
    room.join(BOB);
    const fromAlice = room.send({ type: "m.room.message", sender: ALICE, content: { body: "a" } });
    expect(
      room.check(room.event({ type: "m.room.redaction", sender: BOB, redacts: fromAlice.event_id })),
    ).toBe("allowed");
  });
});

describe("power level values", () => {
  const kickWith = (version: string, bobLevel: unknown): string => {
    const room = TestRoom.standard(version, { powerLevels: { users: { [ALICE]: 100, [BOB]: bobLevel } } });
    room.join(BOB);
    room.join(CAROL);
    return room.check(room.member(BOB, CAROL, "leave"));
  };
  it("v1–v5 read integer strings and truncate floats", () => {
    expect(kickWith("1", " +050 ")).toBe("allowed");
    expect(kickWith("5", 50.9)).toBe("allowed");
    expect(kickWith("5", 49.9)).toBe("5.4.5");
  });
  it("v6–v9 read integer strings, reject floats", () => {
    expect(kickWith("6", "50")).toBe("allowed");
    expect(() => kickWith("9", 50.5)).toThrow(/rejected by rule 9.1/);
  });
  it("v10+ reject strings", () => {
    expect(() => kickWith("10", "50")).toThrow(/rejected by rule 9.3/);
  });
  it("v1–v9: a named level the version cannot read is rejected under the users rule", () => {
    const room = TestRoom.standard("4");
    const ev = room.event({
      type: "m.room.power_levels",
      sender: ALICE,
      state_key: "",
      content: { ban: "fifty" },
    });
    expect(room.check(ev)).toBe("10.1");
  });
  it("stringy values equal to the current ones are not changes", () => {
    const room = TestRoom.standard("7", { powerLevels: { users: { [ALICE]: 100, [BOB]: 50 }, kick: 75 } });
    room.join(BOB);
    const same = { users: { [ALICE]: "100", [BOB]: "50" }, kick: "75" };
    const ev = room.event({ type: "m.room.power_levels", sender: BOB, state_key: "", content: same });
    expect(room.check(ev)).toBe("allowed");
    const changed = { ...same, kick: "74" };
    expect(
      room.check(room.event({ type: "m.room.power_levels", sender: BOB, state_key: "", content: changed })),
    ).toBe("9.3.1");
  });
});

describe("notifications in power levels (v6+)", () => {
  const lowerNotifications = (version: string): string => {
    const room = TestRoom.standard(version, {
      powerLevels: { users: { [ALICE]: 100, [BOB]: 50 }, notifications: { room: 100 } },
    });
    room.join(BOB);
    const ev = room.event({
      type: "m.room.power_levels",
      sender: BOB,
      state_key: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 }, notifications: { room: 0 } },
    });
    return room.check(ev);
  };
  it("v5 ignores notifications", () => expect(lowerNotifications("5")).toBe("allowed"));
  it("v6 rejects changing a notifications level above the sender (9.4.1)", () =>
    expect(lowerNotifications("6")).toBe("9.4.1"));
});

describe("knocking (v7+)", () => {
  it("v6: knock is an unknown membership (4.6)", () => {
    const room = TestRoom.standard("6", { joinRule: "knock" });
    expect(room.check(room.member(BOB, BOB, "knock"))).toBe("4.6");
  });
  it("v6: the knock join rule does not admit invited users (4.2.6)", () => {
    const room = TestRoom.standard("6", { joinRule: "knock" });
    room.send({ type: "m.room.member", sender: ALICE, state_key: BOB, content: { membership: "invite" } });
    expect(room.check(room.member(BOB, BOB, "join"))).toBe("4.2.6");
  });
  it("v7: knocking is allowed with the knock join rule; 4.6.1 rejects otherwise", () => {
    const room = TestRoom.standard("7", { joinRule: "knock" });
    expect(room.check(room.member(BOB, BOB, "knock"))).toBe("allowed");
    const pub = TestRoom.standard("7");
    expect(pub.check(pub.member(BOB, BOB, "knock"))).toBe("4.6.1");
  });
  it("v7: leaving from knock is allowed; v6 leave rule 4.4.1 does not know knock", () => {
    const room = TestRoom.standard("7", { joinRule: "knock" });
    room.send({ type: "m.room.member", sender: BOB, state_key: BOB, content: { membership: "knock" } });
    expect(room.check(room.member(BOB, BOB, "leave"))).toBe("allowed");
    const v6 = TestRoom.standard("6");
    v6.force({ type: "m.room.member", sender: BOB, state_key: BOB, content: { membership: "knock" } });
    expect(v6.check(v6.member(BOB, BOB, "leave"))).toBe("4.4.1");
  });
  it("v9: knock_restricted is not a knock join rule (4.7.1)", () => {
    const room = TestRoom.standard("9", { joinRule: "knock_restricted" });
    expect(room.check(room.member(BOB, BOB, "knock"))).toBe("4.7.1");
  });
});

describe("restricted joins (v8+) and knock_restricted (v10+)", () => {
  const authorisedJoin = (room: TestRoom): TestEvent => {
    const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: ALICE });
    ev.signatures = { "b.test": { "ed25519:k": "s" }, "a.test": { "ed25519:k": "s" } };
    return ev;
  };
  it("v7: the restricted join rule rejects joins (4.2.6), even authorised ones", () => {
    const room = TestRoom.standard("7", { joinRule: "restricted" });
    expect(room.check(authorisedJoin(room))).toBe("4.2.6");
  });
  it("v7: join_authorised_via_users_server is ignored (no signature rule)", () => {
    const room = TestRoom.standard("7");
    const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: CAROL });
    expect(room.check(ev)).toBe("allowed");
  });
  it("v8: restricted admits an authorised join (4.3.5.3), rejects an unauthorised one (4.3.5.2)", () => {
    const room = TestRoom.standard("8", { joinRule: "restricted" });
    expect(room.check(authorisedJoin(room))).toBe("allowed");
    expect(room.check(room.member(BOB, BOB, "join"))).toBe("4.3.5.2");
  });
  it("v8: 4.2.1 requires the authorising server's signature", () => {
    const room = TestRoom.standard("8", { joinRule: "restricted" });
    const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: DAVE });
    expect(room.check(ev)).toBe("4.2.1");
  });
  it("v9: knock_restricted rejects joins (4.3.7); v10 admits authorised ones", () => {
    const v9 = TestRoom.standard("9", { joinRule: "knock_restricted" });
    expect(v9.check(authorisedJoin(v9))).toBe("4.3.7");
    const v10 = TestRoom.standard("10", { joinRule: "knock_restricted" });
    expect(v10.check(authorisedJoin(v10))).toBe("allowed");
  });
});

describe("default power levels", () => {
  it("v1–v11: without a power levels event the creator has 100 and others 0", () => {
    for (const version of ["1", "11"]) {
      const room = new TestRoom(version);
      room.join(ALICE);
      room.send({
        type: "m.room.join_rules",
        sender: ALICE,
        state_key: "",
        content: { join_rule: "public" },
      });
      room.join(BOB);
      // state_default is 50 without a power levels event.
      expect(room.check(room.event({ type: "m.room.name", sender: BOB, state_key: "" }))).not.toBe("allowed");
      expect(room.check(room.event({ type: "m.room.name", sender: ALICE, state_key: "" }))).toBe("allowed");
      expect(room.check(room.member(ALICE, BOB, "ban"))).toBe("allowed");
    }
  });
  it("v12: additional creators are creators too", () => {
    const room = new TestRoom("12", ALICE, { additional_creators: [BOB] });
    room.join(ALICE);
    room.send({ type: "m.room.join_rules", sender: ALICE, state_key: "", content: { join_rule: "public" } });
    room.join(BOB);
    room.join(CAROL);
    expect(room.check(room.member(BOB, CAROL, "ban"))).toBe("allowed");
    // Creators cannot kick or ban each other: neither is below the other.
    expect(room.check(room.member(BOB, ALICE, "ban"))).toBe("5.6.3");
    expect(room.check(room.member(CAROL, BOB, "ban"))).toBe("5.6.3");
  });
});

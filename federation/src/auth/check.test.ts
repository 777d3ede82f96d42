/**
 * One allow and one reject test for every numbered rule of room versions 10, 11 and 12. Expected
 * rule numbers are written per version: `r("4.3.2", "5.3.2")` is 4.3.2 in v10/v11, 5.3.2 in v12.
 */
import { describe, expect, it } from "vitest";
import { generateSigningKey, signJson } from "../crypto/index.js";
import { computeEventId } from "../events/event-id.js";
import { stateMapKey } from "../events/state-map-key.js";
import { roomVersionRules } from "../room-versions/index.js";
import { AuthError } from "./auth-error.js";
import { checkEventAuth } from "./check.js";
import { ALICE, BOB, CAROL, DAVE, ruleOf, type TestEvent, TestRoom } from "./test-room.js";

describe.each(["10", "11", "12"])("room version %s", (version) => {
  const v12 = version === "12";
  const r = (v10v11: string, v12rule: string): string => (v12 ? v12rule : v10v11);
  const check = (ev: TestEvent, authEvents: object[]): string =>
    ruleOf(() => checkEventAuth(ev, authEvents, version));

  describe("m.room.create", () => {
    const create = (over: Record<string, unknown> = {}, content: Record<string, unknown> = {}): TestEvent => {
      const ev: TestEvent = {
        type: "m.room.create",
        sender: ALICE,
        state_key: "",
        content: { room_version: version, ...(version === "10" ? { creator: ALICE } : {}), ...content },
        prev_events: [],
        auth_events: [],
        depth: 1,
        origin_server_ts: 1,
        ...(v12 ? {} : { room_id: "!r:a.test" }),
        ...over,
      };
      return ev;
    };

    it("allows a valid create event (1.5 / v11 1.4)", () => {
      expect(check(create(), [])).toBe("allowed");
    });
    it("1.1 rejects prev_events", () => {
      expect(check(create({ prev_events: ["$x"] }), [])).toBe("1.1");
    });
    it("1.2 room_id", () => {
      if (v12) {
        expect(check(create({ room_id: "!r:a.test" }), [])).toBe("1.2");
      } else {
        expect(check(create({ room_id: "!r:b.test" }), [])).toBe("1.2");
        expect(check(create({ room_id: "!r:a.test" }), [])).toBe("allowed");
      }
    });
    it("1.3 rejects an unknown content.room_version, allows a known one", () => {
      expect(check(create({}, { room_version: "999" }), [])).toBe("1.3");
      expect(check(create({}, { room_version: "1" }), [])).toBe("allowed");
    });
    it("1.4 creator (v10) / nothing (v11) / additional_creators (v12)", () => {
      if (version === "10") {
        const ev = create();
        delete (ev.content as Record<string, unknown>).creator;
        expect(check(ev, [])).toBe("1.4");
      } else if (version === "11") {
        expect(check(create(), [])).toBe("allowed");
      } else {
        expect(check(create({}, { additional_creators: [BOB, CAROL] }), [])).toBe("allowed");
        expect(check(create({}, { additional_creators: ["bob"] }), [])).toBe("1.4");
        expect(check(create({}, { additional_creators: BOB }), [])).toBe("1.4");
        expect(check(create({}, { additional_creators: [BOB, 7] }), [])).toBe("1.4");
      }
    });
  });

  if (v12) {
    describe("rule 2: room_id names an accepted create event", () => {
      it("allows an event in the create event's room", () => {
        const room = TestRoom.standard(version);
        expect(room.check(room.event({ type: "m.room.message", sender: ALICE }))).toBe("allowed");
      });
      it("rejects a room_id that is not the create event's ID", () => {
        const room = TestRoom.standard(version);
        const ev = room.event({ type: "m.room.message", sender: ALICE, room_id: "!other" });
        expect(room.check(ev)).toBe("2");
      });
      it("rejects when the create event is not given", () => {
        const room = TestRoom.standard(version);
        const ev = room.event({ type: "m.room.message", sender: ALICE });
        expect(
          room.check(
            ev,
            {},
            room.authEventsFor(ev).filter((e) => e.type !== "m.room.create"),
          ),
        ).toBe("2");
      });
      it("rejects when the create event was rejected", () => {
        const room = TestRoom.standard(version);
        const createId = computeEventId(room.create, version);
        const ev = room.event({ type: "m.room.message", sender: ALICE });
        expect(room.check(ev, { isRejected: (id) => id === createId })).toBe("2");
      });
      it("derives the room ID from the create event's hash", () => {
        const room = new TestRoom(version);
        expect(room.roomId).toBe(`!${computeEventId(room.create, version).slice(1)}`);
      });
    });
  }

  describe("auth events", () => {
    it(`${r("2.1", "3.1")} rejects duplicate (type, state_key) entries`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.message", sender: ALICE });
      const dup = { ...room.state.get(stateMapKey("m.room.member", ALICE))!, event_id: "$dup:a.test" };
      expect(room.check(ev, {}, [...room.authEventsFor(ev), dup])).toBe(r("2.1", "3.1"));
      expect(room.check(ev)).toBe("allowed");
    });
    it(`${r("2.2", "3.2")} rejects entries the selection algorithm would not choose`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.message", sender: ALICE });
      const joinRules = room.state.get(stateMapKey("m.room.join_rules", ""))!;
      expect(room.check(ev, {}, [...room.authEventsFor(ev), joinRules])).toBe(r("2.2", "3.2"));
      // The same join rules are selected for a join.
      room.join(BOB);
    });
    if (v12) {
      it("3.2 rejects an event whose auth_events lists the create event", () => {
        const room = TestRoom.standard(version);
        const ev = room.event({ type: "m.room.message", sender: ALICE });
        (ev.auth_events as string[]).push(computeEventId(room.create, version));
        expect(room.check(ev)).toBe("3.2");
      });
    } else {
      it("2.2 the create event is selected", () => {
        const room = TestRoom.standard(version);
        const ev = room.event({ type: "m.room.message", sender: ALICE });
        expect(room.authEventsFor(ev).map((e) => e.type)).toContain("m.room.create");
        expect(room.check(ev)).toBe("allowed");
      });
      it("2.4 rejects when there is no m.room.create among the entries", () => {
        const room = TestRoom.standard(version);
        const ev = room.event({ type: "m.room.message", sender: ALICE });
        expect(
          room.check(
            ev,
            {},
            room.authEventsFor(ev).filter((e) => e.type !== "m.room.create"),
          ),
        ).toBe("2.4");
      });
    }
    it(`${r("2.3", "3.3")} rejects entries that were themselves rejected`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.message", sender: ALICE });
      const pl = room.idOf("m.room.power_levels");
      expect(room.check(ev, { isRejected: (id) => id === pl })).toBe(r("2.3", "3.3"));
      expect(room.check(ev, { isRejected: (id) => id === "$unrelated" })).toBe("allowed");
    });
    it(`${r("2.5", "3.5")} rejects auth events from another room`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.message", sender: ALICE });
      const auth = room
        .authEventsFor(ev)
        .map((e) => (e.type === "m.room.power_levels" ? { ...e, room_id: "!elsewhere:a.test" } : e));
      expect(room.check(ev, {}, auth)).toBe(r("2.5", "3.5"));
    });
  });

  describe(`${r("3", "4")} m.federate`, () => {
    it("rejects events from other servers when m.federate is false, allows the creator's server", () => {
      const room = new TestRoom(version, ALICE, { "m.federate": false });
      room.join(ALICE);
      expect(room.check(room.member(BOB, BOB, "join"))).toBe(r("3", "4"));
      expect(room.check(room.event({ type: "m.room.message", sender: ALICE }))).toBe("allowed");
      expect(room.check(room.member(ALICE, "@alice2:a.test", "invite"))).toBe("allowed");
    });
  });

  describe(`${r("4", "5")} m.room.member`, () => {
    const m = (rule: string): string => r(`4.${rule}`, `5.${rule}`);

    it(`${m("1")} rejects a member event without membership`, () => {
      const room = TestRoom.standard(version);
      const ev = room.event({ type: "m.room.member", sender: BOB, state_key: BOB, content: {} });
      expect(room.check(ev)).toBe(m("1"));
      expect(room.check(room.member(BOB, BOB, "join"))).toBe("allowed");
    });

    describe(`${m("2")} join_authorised_via_users_server signature`, () => {
      it("rejects without a signature from the authorising server, allows with one", () => {
        const room = TestRoom.standard(version, { joinRule: "restricted" });
        const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: ALICE });
        expect(room.check(ev)).toBe(m("2.1"));
        ev.signatures = { "b.test": { "ed25519:k": "s" }, "a.test": { "ed25519:k": "s" } };
        expect(room.check(ev)).toBe("allowed");
      });
    });

    describe(`${m("3")} join`, () => {
      it(`${m("3.1")} allows the creator's join right after the create event`, () => {
        const room = new TestRoom(version);
        expect(room.check(room.member(ALICE, ALICE, "join"))).toBe("allowed");
        // Anyone else falls through (no join rules: read as invite) to 3.7.
        expect(room.check(room.member(BOB, BOB, "join"))).toBe(m("3.7"));
      });
      it(`${m("3.2")} rejects a join whose sender is not the state_key`, () => {
        const room = TestRoom.standard(version);
        expect(room.check(room.member(ALICE, BOB, "join"))).toBe(m("3.2"));
      });
      it(`${m("3.3")} rejects a banned user's join`, () => {
        const room = TestRoom.standard(version);
        room.send({ type: "m.room.member", sender: ALICE, state_key: BOB, content: { membership: "ban" } });
        expect(room.check(room.member(BOB, BOB, "join"))).toBe(m("3.3"));
      });
      it(`${m("3.4")} invite and knock join rules admit invited users only`, () => {
        for (const joinRule of ["invite", "knock"]) {
          const room = TestRoom.standard(version, { joinRule });
          expect(room.check(room.member(BOB, BOB, "join"))).toBe(m("3.7"));
          room.send({
            type: "m.room.member",
            sender: ALICE,
            state_key: BOB,
            content: { membership: "invite" },
          });
          expect(room.check(room.member(BOB, BOB, "join"))).toBe("allowed");
        }
      });
      describe(`${m("3.5")} restricted and knock_restricted`, () => {
        for (const joinRule of ["restricted", "knock_restricted"]) {
          it(`${joinRule}: ${m("3.5.1")} allows invited users`, () => {
            const room = TestRoom.standard(version, { joinRule });
            room.send({
              type: "m.room.member",
              sender: ALICE,
              state_key: BOB,
              content: { membership: "invite" },
            });
            expect(room.check(room.member(BOB, BOB, "join"))).toBe("allowed");
          });
          it(`${joinRule}: ${m("3.5.2")} rejects without a joined authoriser able to invite`, () => {
            const room = TestRoom.standard(version, { joinRule, powerLevels: { invite: 10 } });
            const signed = { "b.test": { "ed25519:k": "s" }, "c.test": { "ed25519:k": "s" } };
            // No authoriser at all.
            expect(room.check(room.member(BOB, BOB, "join"))).toBe(m("3.5.2"));
            // Authoriser not joined.
            const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: CAROL });
            ev.signatures = signed;
            expect(room.check(ev)).toBe(m("3.5.2"));
            // Authoriser joined but below the invite level.
            room.send({
              type: "m.room.join_rules",
              sender: ALICE,
              state_key: "",
              content: { join_rule: "public" },
            });
            room.join(CAROL);
            room.send({
              type: "m.room.join_rules",
              sender: ALICE,
              state_key: "",
              content: { join_rule: joinRule },
            });
            const ev2 = room.member(BOB, BOB, "join", { join_authorised_via_users_server: CAROL });
            ev2.signatures = signed;
            expect(room.check(ev2)).toBe(m("3.5.2"));
          });
          it(`${joinRule}: ${m("3.5.3")} allows with a joined authoriser able to invite`, () => {
            const room = TestRoom.standard(version, { joinRule });
            const ev = room.member(BOB, BOB, "join", { join_authorised_via_users_server: ALICE });
            ev.signatures = { "b.test": { "ed25519:k": "s" }, "a.test": { "ed25519:k": "s" } };
            expect(room.check(ev)).toBe("allowed");
          });
        }
      });
      it(`${m("3.6")} allows anyone to join a public room`, () => {
        const room = TestRoom.standard(version, { joinRule: "public" });
        expect(room.check(room.member(BOB, BOB, "join"))).toBe("allowed");
      });
      it(`${m("3.7")} rejects other join rules`, () => {
        const room = TestRoom.standard(version, { joinRule: "private" });
        expect(room.check(room.member(BOB, BOB, "join"))).toBe(m("3.7"));
      });
    });

    describe(`${m("4")} invite`, () => {
      const setup = (): {
        room: TestRoom;
        key: ReturnType<typeof generateSigningKey>;
        invite: (signedOver?: Record<string, unknown>, contentOver?: Record<string, unknown>) => TestEvent;
      } => {
        const room = TestRoom.standard(version);
        const key = generateSigningKey("ed25519:0");
        const publicKey = Buffer.from(key.publicKey).toString("base64url");
        room.send({
          type: "m.room.third_party_invite",
          sender: ALICE,
          state_key: "tok",
          content: { display_name: "b…", key_validity_url: "https://id.test/v", public_key: publicKey },
        });
        const invite = (
          signedOver: Record<string, unknown> = {},
          contentOver: Record<string, unknown> = {},
        ) => {
          const signed = signJson({ mxid: BOB, token: "tok", ...signedOver }, "id.test", key);
          return room.member(ALICE, BOB, "invite", {
            third_party_invite: { display_name: "b…", signed },
            ...contentOver,
          });
        };
        return { room, key, invite };
      };

      it(`${m("4.1.7")} allows a third-party invite signed with the public_key`, () => {
        const { room, invite } = setup();
        expect(room.check(invite())).toBe("allowed");
      });
      it(`${m("4.1.7")} allows a third-party invite signed with one of public_keys`, () => {
        const { room, invite } = setup();
        const other = generateSigningKey("ed25519:1");
        room.send({
          type: "m.room.third_party_invite",
          sender: ALICE,
          state_key: "tok",
          content: {
            public_key: Buffer.from(other.publicKey).toString("base64"),
            public_keys: [{ public_key: Buffer.from(other.publicKey).toString("base64") }],
          },
        });
        expect(room.check(invite())).toBe(m("4.1.8"));
        const ev = room.member(ALICE, BOB, "invite", {
          third_party_invite: { signed: signJson({ mxid: BOB, token: "tok" }, "id.test", other) },
        });
        expect(room.check(ev)).toBe("allowed");
      });
      it(`${m("4.1.1")} rejects a third-party invite of a banned user`, () => {
        const { room, invite } = setup();
        room.send({ type: "m.room.member", sender: ALICE, state_key: BOB, content: { membership: "ban" } });
        expect(room.check(invite())).toBe(m("4.1.1"));
      });
      it(`${m("4.1.2")} rejects a third_party_invite without signed`, () => {
        const { room } = setup();
        const ev = room.member(ALICE, BOB, "invite", { third_party_invite: { display_name: "x" } });
        expect(room.check(ev)).toBe(m("4.1.2"));
      });
      it(`${m("4.1.3")} rejects signed without mxid or token`, () => {
        const { room } = setup();
        const ev = room.member(ALICE, BOB, "invite", { third_party_invite: { signed: { mxid: BOB } } });
        expect(room.check(ev)).toBe(m("4.1.3"));
      });
      it(`${m("4.1.4")} rejects an mxid that is not the state_key`, () => {
        const { room, invite } = setup();
        expect(room.check(invite({ mxid: CAROL }))).toBe(m("4.1.4"));
      });
      it(`${m("4.1.5")} rejects a token with no m.room.third_party_invite`, () => {
        const { room, invite } = setup();
        expect(room.check(invite({ token: "other" }))).toBe(m("4.1.5"));
      });
      it(`${m("4.1.6")} rejects a sender other than the third party invite's sender`, () => {
        const { room, key } = setup();
        room.send({
          type: "m.room.member",
          sender: ALICE,
          state_key: CAROL,
          content: { membership: "invite" },
        });
        room.join(CAROL);
        const signed = signJson({ mxid: BOB, token: "tok" }, "id.test", key);
        expect(room.check(room.member(CAROL, BOB, "invite", { third_party_invite: { signed } }))).toBe(
          m("4.1.6"),
        );
      });
      it(`${m("4.1.8")} rejects a signature no public key matches`, () => {
        const { room } = setup();
        const stranger = generateSigningKey("ed25519:0");
        const signed = signJson({ mxid: BOB, token: "tok" }, "id.test", stranger);
        expect(room.check(room.member(ALICE, BOB, "invite", { third_party_invite: { signed } }))).toBe(
          m("4.1.8"),
        );
        // A tampered signed object fails too.
        const { room: room2, invite } = setup();
        const ev = invite();
        const tpi = (ev.content as { third_party_invite: { signed: Record<string, unknown> } })
          .third_party_invite;
        tpi.signed = { ...tpi.signed, extra: 1 };
        expect(room2.check(ev)).toBe(m("4.1.8"));
      });
      it(`${m("4.2")} rejects an invite from a non-member`, () => {
        const room = TestRoom.standard(version);
        expect(room.check(room.member(BOB, CAROL, "invite"))).toBe(m("4.2"));
      });
      it(`${m("4.3")} rejects inviting a joined or banned user`, () => {
        const room = TestRoom.standard(version);
        room.join(BOB);
        expect(room.check(room.member(ALICE, BOB, "invite"))).toBe(m("4.3"));
        room.send({ type: "m.room.member", sender: ALICE, state_key: CAROL, content: { membership: "ban" } });
        expect(room.check(room.member(ALICE, CAROL, "invite"))).toBe(m("4.3"));
      });
      it(`${m("4.4")} allows an invite at the invite level; ${m("4.5")} rejects below it`, () => {
        const room = TestRoom.standard(version, { powerLevels: { invite: 10 } });
        expect(room.check(room.member(ALICE, BOB, "invite"))).toBe("allowed");
        room.join(BOB);
        expect(room.check(room.member(BOB, CAROL, "invite"))).toBe(m("4.5"));
      });
    });

    describe(`${m("5")} leave`, () => {
      it(`${m("5.1")} allows leaving from join, invite and knock; rejects from nothing or ban`, () => {
        const room = TestRoom.standard(version, { joinRule: "knock" });
        room.send({
          type: "m.room.member",
          sender: ALICE,
          state_key: BOB,
          content: { membership: "invite" },
        });
        expect(room.check(room.member(BOB, BOB, "leave"))).toBe("allowed");
        room.send({
          type: "m.room.member",
          sender: CAROL,
          state_key: CAROL,
          content: { membership: "knock" },
        });
        expect(room.check(room.member(CAROL, CAROL, "leave"))).toBe("allowed");
        expect(room.check(room.member(ALICE, ALICE, "leave"))).toBe("allowed");
        expect(room.check(room.member(DAVE, DAVE, "leave"))).toBe(m("5.1"));
        room.send({ type: "m.room.member", sender: ALICE, state_key: DAVE, content: { membership: "ban" } });
        expect(room.check(room.member(DAVE, DAVE, "leave"))).toBe(m("5.1"));
      });
      it(`${m("5.2")} rejects a kick by a non-member`, () => {
        const room = TestRoom.standard(version);
        room.join(BOB);
        expect(room.check(room.member(CAROL, BOB, "leave"))).toBe(m("5.2"));
      });
      it(`${m("5.3")} rejects an unban below the ban level`, () => {
        const room = TestRoom.standard(version, {
          powerLevels: { kick: 0, ban: 60, users: usersWith(version, { [BOB]: 50 }) },
        });
        room.join(BOB);
        room.send({ type: "m.room.member", sender: ALICE, state_key: CAROL, content: { membership: "ban" } });
        expect(room.check(room.member(BOB, CAROL, "leave"))).toBe(m("5.3"));
        expect(room.check(room.member(ALICE, CAROL, "leave"))).toBe("allowed");
      });
      it(`${m("5.4")} allows a kick at the kick level of a lower user; ${m("5.5")} rejects otherwise`, () => {
        const room = TestRoom.standard(version, {
          powerLevels: { users: usersWith(version, { [BOB]: 50, [CAROL]: 50 }) },
        });
        room.join(BOB);
        room.join(CAROL);
        room.join(DAVE);
        expect(room.check(room.member(BOB, DAVE, "leave"))).toBe("allowed");
        expect(room.check(room.member(BOB, CAROL, "leave"))).toBe(m("5.5"));
        expect(room.check(room.member(DAVE, BOB, "leave"))).toBe(m("5.5"));
      });
    });

    describe(`${m("6")} ban`, () => {
      it(`${m("6.1")} rejects a ban by a non-member`, () => {
        const room = TestRoom.standard(version);
        expect(room.check(room.member(BOB, CAROL, "ban"))).toBe(m("6.1"));
      });
      it(`${m("6.2")} allows a ban at the ban level of a lower user; ${m("6.3")} rejects otherwise`, () => {
        const room = TestRoom.standard(version, {
          powerLevels: { users: usersWith(version, { [BOB]: 50 }) },
        });
        room.join(BOB);
        room.join(CAROL);
        expect(room.check(room.member(BOB, CAROL, "ban"))).toBe("allowed");
        expect(room.check(room.member(BOB, ALICE, "ban"))).toBe(m("6.3"));
        expect(room.check(room.member(CAROL, BOB, "ban"))).toBe(m("6.3"));
      });
    });

    describe(`${m("7")} knock`, () => {
      it(`${m("7.1")} rejects knocking unless the join rule is knock or knock_restricted`, () => {
        const room = TestRoom.standard(version, { joinRule: "public" });
        expect(room.check(room.member(BOB, BOB, "knock"))).toBe(m("7.1"));
        for (const joinRule of ["knock", "knock_restricted"]) {
          const room2 = TestRoom.standard(version, { joinRule });
          expect(room2.check(room2.member(BOB, BOB, "knock"))).toBe("allowed");
        }
      });
      it(`${m("7.2")} rejects knocking for someone else`, () => {
        const room = TestRoom.standard(version, { joinRule: "knock" });
        expect(room.check(room.member(ALICE, BOB, "knock"))).toBe(m("7.2"));
      });
      it(`${m("7.3")} allows a knock from leave; ${m("7.4")} rejects from ban, invite or join`, () => {
        const room = TestRoom.standard(version, { joinRule: "knock" });
        room.send({
          type: "m.room.member",
          sender: ALICE,
          state_key: BOB,
          content: { membership: "invite" },
        });
        room.send({ type: "m.room.member", sender: BOB, state_key: BOB, content: { membership: "leave" } });
        expect(room.check(room.member(BOB, BOB, "knock"))).toBe("allowed");
        room.send({
          type: "m.room.member",
          sender: ALICE,
          state_key: CAROL,
          content: { membership: "invite" },
        });
        expect(room.check(room.member(CAROL, CAROL, "knock"))).toBe(m("7.4"));
        expect(room.check(room.member(ALICE, ALICE, "knock"))).toBe(m("7.4"));
        room.send({ type: "m.room.member", sender: ALICE, state_key: DAVE, content: { membership: "ban" } });
        expect(room.check(room.member(DAVE, DAVE, "knock"))).toBe(m("7.4"));
      });
    });

    it(`${m("8")} rejects an unknown membership`, () => {
      const room = TestRoom.standard(version);
      expect(room.check(room.member(BOB, BOB, "dance"))).toBe(m("8"));
    });
  });

  describe(`${r("5", "6")} sender must be joined`, () => {
    it("rejects events from non-members, allows members", () => {
      const room = TestRoom.standard(version);
      expect(room.check(room.event({ type: "m.room.message", sender: BOB }))).toBe(r("5", "6"));
      room.send({ type: "m.room.member", sender: ALICE, state_key: BOB, content: { membership: "invite" } });
      expect(room.check(room.event({ type: "m.room.message", sender: BOB }))).toBe(r("5", "6"));
      room.join(BOB);
      expect(room.check(room.event({ type: "m.room.message", sender: BOB }))).toBe("allowed");
    });
  });

  describe(`${r("6", "7")} m.room.third_party_invite`, () => {
    it("allows at the invite level, rejects below it (even if the state level is lower)", () => {
      const room = TestRoom.standard(version, {
        powerLevels: { invite: 20, state_default: 0, users: usersWith(version, { [CAROL]: 20 }) },
      });
      room.join(BOB);
      room.join(CAROL);
      const tpi = (sender: string): TestEvent =>
        room.event({
          type: "m.room.third_party_invite",
          sender,
          state_key: "t",
          content: { public_key: "x" },
        });
      expect(room.check(tpi(BOB))).toBe(r("6.1", "7.1"));
      expect(room.check(tpi(CAROL))).toBe("allowed");
    });
  });

  describe(`${r("7", "8")} required power level`, () => {
    it("rejects below the event type's level, allows at it", () => {
      const room = TestRoom.standard(version, {
        powerLevels: { events: { "m.room.message": 10 }, users: usersWith(version, { [CAROL]: 10 }) },
      });
      room.join(BOB);
      room.join(CAROL);
      expect(room.check(room.event({ type: "m.room.message", sender: BOB }))).toBe(r("7", "8"));
      expect(room.check(room.event({ type: "m.room.message", sender: CAROL }))).toBe("allowed");
      // state_default (50) applies to other state events; events_default (0) to other messages.
      expect(room.check(room.event({ type: "m.room.topic", sender: CAROL, state_key: "" }))).toBe(
        r("7", "8"),
      );
      expect(room.check(room.event({ type: "m.custom", sender: BOB }))).toBe("allowed");
    });
    it("m.room.redaction is a normal event: the redact level does not apply, events does", () => {
      const room = TestRoom.standard(version, { powerLevels: { redact: 100 } });
      room.join(BOB);
      const msg = room.send({ type: "m.room.message", sender: ALICE, content: { body: "hi" } });
      const redaction = (): TestEvent =>
        room.event({
          type: "m.room.redaction",
          sender: BOB,
          redacts: msg.event_id,
          content: { redacts: msg.event_id },
        });
      expect(room.check(redaction())).toBe("allowed");
      room.send({
        type: "m.room.power_levels",
        sender: ALICE,
        state_key: "",
        content: { users: usersWith(version, {}), events: { "m.room.redaction": 50 } },
      });
      expect(room.check(redaction())).toBe(r("7", "8"));
    });
  });

  describe(`${r("8", "9")} state keys starting with @`, () => {
    it("rejects another user's @ state key, allows one's own", () => {
      const room = TestRoom.standard(version);
      expect(room.check(room.event({ type: "m.custom.state", sender: ALICE, state_key: BOB }))).toBe(
        r("8", "9"),
      );
      expect(room.check(room.event({ type: "m.custom.state", sender: ALICE, state_key: ALICE }))).toBe(
        "allowed",
      );
    });
  });

  describe(`${r("9", "10")} m.room.power_levels`, () => {
    const p = (v10v11: number, v12rule: number, sub = ""): string =>
      r(`9.${v10v11}${sub}`, `10.${v12rule}${sub}`);
    const plEvent = (room: TestRoom, content: Record<string, unknown>, sender = ALICE): TestEvent =>
      room.event({ type: "m.room.power_levels", sender, state_key: "", content });

    it(`${p(1, 1)} rejects named levels that are not integers`, () => {
      const room = TestRoom.standard(version);
      for (const bad of ["50", 50.5, null, true]) {
        expect(room.check(plEvent(room, { users: usersWith(version, {}), ban: bad }))).toBe(p(1, 1));
      }
      expect(room.check(plEvent(room, { users: usersWith(version, {}), ban: 60 }))).toBe("allowed");
    });
    it(`${p(2, 2)} rejects events/notifications that are not objects of integers`, () => {
      const room = TestRoom.standard(version);
      const base = { users: usersWith(version, {}) };
      expect(room.check(plEvent(room, { ...base, events: { "m.room.name": "50" } }))).toBe(p(2, 2));
      expect(room.check(plEvent(room, { ...base, events: [] }))).toBe(p(2, 2));
      expect(room.check(plEvent(room, { ...base, notifications: { room: 1.5 } }))).toBe(p(2, 2));
      expect(
        room.check(plEvent(room, { ...base, events: { "m.room.name": 50 }, notifications: { room: 50 } })),
      ).toBe("allowed");
    });
    it(`${p(3, 3)} rejects users that is not an object of valid user IDs to integers`, () => {
      const room = TestRoom.standard(version);
      const base = usersWith(version, {});
      expect(room.check(plEvent(room, { users: { ...base, [BOB]: "50" } }))).toBe(p(3, 3));
      expect(room.check(plEvent(room, { users: { ...base, "not-a-user": 50 } }))).toBe(p(3, 3));
      expect(room.check(plEvent(room, { users: [] }))).toBe(p(3, 3));
      expect(room.check(plEvent(room, { users: { ...base, [BOB]: 50 } }))).toBe("allowed");
    });
    if (v12) {
      it("10.4 rejects creators (sender and additional_creators) in users", () => {
        const room = new TestRoom(version, ALICE, { additional_creators: [BOB] });
        room.join(ALICE);
        expect(room.check(plEvent(room, { users: { [ALICE]: 100 } }))).toBe("10.4");
        expect(room.check(plEvent(room, { users: { [BOB]: 100 } }))).toBe("10.4");
        expect(room.check(plEvent(room, { users: { [CAROL]: 100 } }))).toBe("allowed");
      });
    }
    it(`${p(4, 5)} allows anything valid when there is no previous power levels event`, () => {
      const room = new TestRoom(version);
      room.join(ALICE);
      expect(room.check(plEvent(room, { users: usersWith(version, { [BOB]: 1000 }), ban: 1000 }))).toBe(
        "allowed",
      );
    });
    describe("changes", () => {
      // Bob has 50; Carol 40.
      const setup = (
        extra: Record<string, unknown> = {},
      ): { room: TestRoom; users: Record<string, number> } => {
        const users = usersWith(version, { [BOB]: 50, [CAROL]: 40 });
        const room = TestRoom.standard(version, { powerLevels: { users, ...extra } });
        room.join(BOB);
        return { room, users };
      };
      it(`${p(5, 6, ".1")} rejects changing a named level that is above the sender`, () => {
        const { room, users } = setup({ kick: 60 });
        expect(room.check(plEvent(room, { users, kick: 10 }, BOB))).toBe(p(5, 6, ".1"));
        expect(room.check(plEvent(room, { users, kick: 60, invite: 50 }, BOB))).toBe("allowed");
      });
      it(`${p(5, 6, ".2")} rejects setting a named level above the sender`, () => {
        const { room, users } = setup();
        expect(room.check(plEvent(room, { users, invite: 51 }, BOB))).toBe(p(5, 6, ".2"));
        expect(room.check(plEvent(room, { users, invite: 50 }, BOB))).toBe("allowed");
      });
      it(`${p(6, 7, ".1")} rejects changing or removing an events/notifications entry above the sender`, () => {
        const { room, users } = setup({ events: { "m.room.name": 60 }, notifications: { room: 60 } });
        expect(room.check(plEvent(room, { users, notifications: { room: 60 } }, BOB))).toBe(p(6, 7, ".1"));
        expect(room.check(plEvent(room, { users, events: { "m.room.name": 60 } }, BOB))).toBe(p(6, 7, ".1"));
        expect(
          room.check(
            plEvent(room, { users, events: { "m.room.name": 60, x: 10 }, notifications: { room: 60 } }, BOB),
          ),
        ).toBe("allowed");
      });
      it(`${p(7, 8, ".1")} rejects adding or changing an events/notifications entry above the sender`, () => {
        const { room, users } = setup();
        expect(room.check(plEvent(room, { users, events: { "m.room.name": 51 } }, BOB))).toBe(p(7, 8, ".1"));
        expect(room.check(plEvent(room, { users, notifications: { room: 51 } }, BOB))).toBe(p(7, 8, ".1"));
        expect(room.check(plEvent(room, { users, events: { "m.room.name": 50 } }, BOB))).toBe("allowed");
      });
      it(`${p(8, 9, ".1")} rejects changing or removing a user at or above the sender (not oneself)`, () => {
        const { room } = setup({ users: usersWith(version, { [BOB]: 50, [CAROL]: 50, [DAVE]: 10 }) });
        const current = usersWith(version, { [BOB]: 50, [CAROL]: 50, [DAVE]: 10 });
        const { [CAROL]: _c, ...withoutCarol } = current;
        expect(room.check(plEvent(room, { users: withoutCarol }, BOB))).toBe(p(8, 9, ".1"));
        expect(room.check(plEvent(room, { users: { ...current, [CAROL]: 0 } }, BOB))).toBe(p(8, 9, ".1"));
        // Demoting oneself, and lower users, is fine.
        expect(room.check(plEvent(room, { users: { ...current, [BOB]: 0, [DAVE]: 0 } }, BOB))).toBe(
          "allowed",
        );
      });
      it(`${p(9, 10, ".1")} rejects adding or raising a user above the sender`, () => {
        const { room, users } = setup();
        expect(room.check(plEvent(room, { users: { ...users, [DAVE]: 51 } }, BOB))).toBe(p(9, 10, ".1"));
        expect(room.check(plEvent(room, { users: { ...users, [DAVE]: 50 } }, BOB))).toBe("allowed");
      });
    });
  });

  it(`${r("10", "11")} allows other events`, () => {
    const room = TestRoom.standard(version);
    expect(room.check(room.event({ type: "org.example.custom", sender: ALICE, content: { any: [1] } }))).toBe(
      "allowed",
    );
  });

  it("throws AuthError with a stable name", () => {
    const room = TestRoom.standard(version);
    try {
      checkEventAuth(room.event({ type: "m.room.message", sender: BOB }), [], version);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AuthError);
      expect((e as AuthError).name).toBe("AuthError");
    }
  });
});

/** `users` content: the given users, plus the creator with 100 in v1–v11 (v12 creators are not listed). */
function usersWith(version: string, users: Record<string, number>): Record<string, number> {
  const infinite = roomVersionRules(version).auth.creators === "create-sender-and-additional-infinite";
  return infinite ? { ...users } : { [ALICE]: 100, ...users };
}

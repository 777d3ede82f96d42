/**
 * The classic state resolution v2 cases (in the spirit of Synapse's tests/state/test_v2.py, with our
 * own events), run for room versions with v2 and with v2.1 state resolution, which agree on them.
 */
import { describe, expect, it } from "vitest";
import { resolveState } from "./index.js";
import { ALICE, BOB, CHARLIE, EVELYN, Fork, key, TestDag, ZARA } from "./test-dag.js";

const PL = key("m.room.power_levels", "");
const TOPIC = key("m.room.topic", "");
const JR = key("m.room.join_rules", "");
const member = (user: string) => key("m.room.member", user);

function room(version: string) {
  return TestDag.createRoom(version, { members: [BOB, CHARLIE, ZARA] });
}

function resolve(dag: TestDag, forks: Fork[]) {
  return resolveState(
    dag.roomVersion,
    forks.map((f) => f.state),
    dag.fetch,
  );
}

function topic(id: string, sender: string) {
  return { id, type: "m.room.topic", sender, stateKey: "", content: { topic: id } };
}

function powerLevels(id: string, sender: string, users: Record<string, number>, extra: object = {}) {
  return { id, type: "m.room.power_levels", sender, stateKey: "", content: { users, ...extra } };
}

/** v12 creators are infinite and must not appear in `users`; other versions list Alice at 100. */
function users(version: string, others: Record<string, number>): Record<string, number> {
  return version === "12" ? others : { [ALICE]: 100, ...others };
}

describe.each(["2", "6", "10", "11", "12"])("state resolution, room version %s", (version) => {
  it("ban vs power levels: a ban wins over the banned user's concurrent power levels change", async () => {
    const { dag, main } = room(version);
    main.send(powerLevels("PA", ALICE, users(version, { [BOB]: 50 })));
    const a = main.fork();
    const b = main.fork();
    a.send({
      id: "MA",
      type: "m.room.member",
      sender: ALICE,
      stateKey: ALICE,
      content: { membership: "join" },
    });
    a.send({ id: "MB", type: "m.room.member", sender: ALICE, stateKey: BOB, content: { membership: "ban" } });
    b.send(powerLevels("PB", BOB, users(version, { [BOB]: 50 })));
    const state = await resolve(dag, [a, b]);
    expect(state.get(PL)).toBe(dag.id("PA"));
    expect(state.get(member(ALICE))).toBe(dag.id("MA"));
    expect(state.get(member(BOB))).toBe(dag.id("MB"));
  });

  it("join rule evasion: a join concurrent with a join rules change to invite is rejected", async () => {
    const { dag, main } = room(version);
    const a = main.fork();
    const b = main.fork();
    a.send({
      id: "JR",
      type: "m.room.join_rules",
      sender: ALICE,
      stateKey: "",
      content: { join_rule: "invite" },
    });
    b.join(EVELYN, "ME");
    const state = await resolve(dag, [a, b]);
    expect(state.get(JR)).toBe(dag.id("JR"));
    expect(state.has(member(EVELYN))).toBe(false);
  });

  it("offtopic power levels: a chain of power levels changes on one side is replayed in order", async () => {
    const { dag, main } = room(version);
    main.send(powerLevels("PA", ALICE, users(version, { [BOB]: 50 })));
    const a = main.fork();
    const b = main.fork();
    a.send(powerLevels("PB", BOB, users(version, { [BOB]: 50, [CHARLIE]: 50 })));
    a.send(powerLevels("PC", CHARLIE, users(version, { [BOB]: 50, [CHARLIE]: 0 })));
    const state = await resolve(dag, [a, b]);
    expect(state.get(PL)).toBe(dag.id("PC"));
  });

  it("topic basic: a demotion beats the demoted user's topic", async () => {
    const { dag, main } = room(version);
    main.send(topic("T1", ALICE));
    main.send(powerLevels("PA1", ALICE, users(version, { [BOB]: 50 })));
    const a = main.fork();
    const b = main.fork();
    a.send(topic("T2", ALICE));
    a.send(powerLevels("PA2", ALICE, users(version, { [BOB]: 0 })));
    b.send(powerLevels("PB", BOB, users(version, { [BOB]: 50 })));
    b.send(topic("T3", BOB));
    const state = await resolve(dag, [a, b]);
    expect(state.get(PL)).toBe(dag.id("PA2"));
    expect(state.get(TOPIC)).toBe(dag.id("T2"));
  });

  it("topic reset: a ban keeps the older topic rather than the banned user's", async () => {
    const { dag, main } = room(version);
    main.send(topic("T1", ALICE));
    const b = main.fork();
    main.send(powerLevels("PA", ALICE, users(version, { [BOB]: 50 })));
    main.send(topic("T2", BOB));
    main.send({
      id: "MB",
      type: "m.room.member",
      sender: ALICE,
      stateKey: BOB,
      content: { membership: "ban" },
    });
    const state = await resolve(dag, [main, b]);
    expect(state.get(TOPIC)).toBe(dag.id("T1"));
    expect(state.get(member(BOB))).toBe(dag.id("MB"));
    expect(state.get(PL)).toBe(dag.id("PA"));
  });

  it("topic setting across a merge: the later topic on the merged branch wins", async () => {
    const { dag, main } = room(version);
    main.send(topic("T1", ALICE));
    main.send(powerLevels("PA1", ALICE, users(version, { [BOB]: 50 })));
    const a = main.fork();
    const b = main.fork();
    a.send(topic("T2", ALICE));
    a.send(powerLevels("PA2", ALICE, users(version, { [BOB]: 0 })));
    b.send(powerLevels("PB", BOB, users(version, { [BOB]: 50 })));
    b.send(topic("T3", BOB));
    const merged = await Fork.merge([a, b]);
    expect(merged.state.get(TOPIC)).toBe(dag.id("T2"));
    merged.send({ id: "MZ1", type: "m.room.message", sender: ZARA, content: { body: "hi" } });
    const after = merged.fork();
    after.send(topic("T4", ALICE));
    const state = await resolve(dag, [after, merged]);
    expect(state.get(TOPIC)).toBe(dag.id("T4"));
    expect(state.get(PL)).toBe(dag.id("PA2"));
  });

  it("mainline sort: the topic citing the newer power levels wins even though it is older", async () => {
    const { dag, main } = room(version);
    main.send(topic("T1", ALICE));
    main.send(powerLevels("PA1", ALICE, users(version, { [BOB]: 50 })));
    const a = main.fork();
    const b = main.fork();
    a.send(topic("T2", ALICE));
    a.send(
      powerLevels("PA2", ALICE, users(version, { [BOB]: 50 }), { events: { "m.room.power_levels": 100 } }),
    );
    a.send(topic("T3", BOB));
    b.send(powerLevels("PB", BOB, users(version, { [BOB]: 50 })));
    b.send(topic("T4", ALICE));
    const state = await resolve(dag, [a, b]);
    // T4 is newer, but it cites PB whose mainline position (via PA1) is older than PA2's.
    expect(state.get(TOPIC)).toBe(dag.id("T3"));
    expect(state.get(PL)).toBe(dag.id("PA2"));
  });

  it("power ordering: sender power first, then origin_server_ts", async () => {
    const { dag, main } = room(version);
    main.send(powerLevels("PA", ALICE, users(version, { [BOB]: 100, [CHARLIE]: 50 })));
    const a = main.fork();
    const b = main.fork();
    // Bob's change comes first in time; Alice's later. Each passes after the other.
    b.send(powerLevels("P2", BOB, users(version, { [BOB]: 100, [CHARLIE]: 0 })));
    a.send(powerLevels("P1", ALICE, users(version, { [BOB]: 100, [CHARLIE]: 50, [ZARA]: 10 })));
    const state = await resolve(dag, [a, b]);
    if (version === "12") {
      // Alice is a creator (infinite power): P1 sorts first although it is later; P2 is applied last.
      expect(state.get(PL)).toBe(dag.id("P2"));
    } else {
      // Equal power (100): P2 sorts first by origin_server_ts; P1 is applied last.
      expect(state.get(PL)).toBe(dag.id("P1"));
    }
  });

  it("returns the unconflicted state unchanged when nothing conflicts", async () => {
    const { dag, main } = room(version);
    const state = await resolve(dag, [main, main.fork()]);
    expect(state).toEqual(main.state);
  });
});

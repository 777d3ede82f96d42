/**
 * State resolution v1 (room version 1).
 */
import { describe, expect, it } from "vitest";
import { MissingStateEventError, partitionStateSetsV1, resolveState } from "./index.js";
import { ALICE, BOB, CHARLIE, key, TestDag } from "./test-dag.js";

const PL = key("m.room.power_levels", "");
const TOPIC = key("m.room.topic", "");
const member = (user: string) => key("m.room.member", user);

function room() {
  return TestDag.createRoom("1", { members: [BOB, CHARLIE] });
}

describe("state resolution v1", () => {
  it("a key missing from some state sets is not a conflict", () => {
    const { unconflicted, conflicted } = partitionStateSetsV1([
      new Map([
        ["a", "$1"],
        ["b", "$2"],
      ]),
      new Map([["a", "$1"]]),
      new Map([["b", "$3"]]),
    ]);
    expect(unconflicted).toEqual(new Map([["a", "$1"]]));
    expect(conflicted).toEqual(new Map([["b", new Set(["$2", "$3"])]]));
  });

  it("keeps a topic only one side has, without checking it", async () => {
    const { dag, main } = room();
    const a = main.fork();
    a.send({ id: "T", type: "m.room.topic", sender: ALICE, stateKey: "", content: { topic: "t" } });
    const state = await resolveState("1", [a.state, main.state], dag.fetch);
    expect(state.get(TOPIC)).toBe(dag.id("T"));
  });

  it("resolves members before other state: a ban defeats the banned user's topic", async () => {
    const { dag, main } = room();
    main.send({ id: "T0", type: "m.room.topic", sender: ALICE, stateKey: "", content: { topic: "0" } });
    main.send({
      id: "PA",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    const a = main.fork();
    const b = main.fork();
    a.send({
      id: "BAN",
      type: "m.room.member",
      sender: ALICE,
      stateKey: BOB,
      content: { membership: "ban" },
    });
    b.send({ id: "TB", type: "m.room.topic", sender: BOB, stateKey: "", content: { topic: "b" } });
    b.send({ id: "TB2", type: "m.room.topic", sender: BOB, stateKey: "", content: { topic: "b2" } });
    const state = await resolveState("1", [a.state, b.state], dag.fetch);
    expect(state.get(member(BOB))).toBe(dag.id("BAN"));
    // TB2 is deepest but Bob is banned in R; T0 passes.
    expect(state.get(TOPIC)).toBe(dag.id("T0"));
  });

  it("other keys take the deepest event that passes", async () => {
    const { dag, main } = room();
    main.send({
      id: "PA",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    const a = main.fork();
    const b = main.fork();
    a.send({ id: "TA", type: "m.room.topic", sender: ALICE, stateKey: "", content: { topic: "a" } });
    b.send({ id: "TB1", type: "m.room.topic", sender: BOB, stateKey: "", content: { topic: "b1" } });
    b.send({ id: "TB2", type: "m.room.topic", sender: BOB, stateKey: "", content: { topic: "b2" } });
    const state = await resolveState("1", [a.state, b.state], dag.fetch);
    expect(state.get(TOPIC)).toBe(dag.id("TB2"));
  });

  it("power levels: applies in ascending depth while each passes, then stops", async () => {
    const { dag, main } = room();
    main.send({
      id: "PA",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    const a = main.fork();
    const b = main.fork();
    // a: Alice demotes Bob (depth n+1). b: Bob, still at 50, promotes Charlie (n+1), then Charlie
    // sets power levels (n+2).
    a.send({
      id: "DEMOTE",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100 } },
    });
    b.send({
      id: "PROMOTE",
      type: "m.room.power_levels",
      sender: BOB,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } },
    });
    b.send({
      id: "CHARLIE",
      type: "m.room.power_levels",
      sender: CHARLIE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 40 } },
    });
    const state = await resolveState("1", [a.state, b.state], dag.fetch);
    // DEMOTE and PROMOTE share a depth: descending sha1(event_id) decides which comes first.
    // Either order ends at DEMOTE: DEMOTE first, then PROMOTE fails (Bob at 0 under DEMOTE); or
    // PROMOTE first, DEMOTE passes (Alice at 100), then CHARLIE fails (Charlie at 0 under DEMOTE).
    expect(state.get(PL)).toBe(dag.id("DEMOTE"));
  });

  it("power levels: a later event that passes on top of the earlier one wins", async () => {
    const { dag, main } = room();
    main.send({
      id: "P1",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    const a = main.fork();
    a.send({
      id: "P2",
      type: "m.room.power_levels",
      sender: BOB,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 10 } },
    });
    const state = await resolveState("1", [a.state, main.state], dag.fetch);
    expect(state.get(PL)).toBe(dag.id("P2"));
  });

  it("power levels: the v1 state reset, events between the candidates are not considered", async () => {
    const { dag, main } = room();
    const a = main.fork();
    a.send({
      id: "P1",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    a.send({
      id: "P2",
      type: "m.room.power_levels",
      sender: BOB,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 10 } },
    });
    // Candidates are IPOWER and P2 only; P2 fails against IPOWER (Bob at 0), so IPOWER stays.
    const state = await resolveState("1", [a.state, main.state], dag.fetch);
    expect(state.get(PL)).toBe(dag.id("IPOWER"));
    // v2 replays P1 (in the auth difference) and keeps P2.
    // (Room versions 1 and 2 share their event format and authorization rules.)
    const v2 = await resolveState("2", [a.state, main.state], dag.fetch);
    expect(v2.get(PL)).toBe(dag.id("P2"));
  });

  it("uses the shallowest candidate when none passes (NOTSPEC, as Synapse)", async () => {
    const { dag, main } = room();
    main.send({
      id: "PA",
      type: "m.room.power_levels",
      sender: ALICE,
      stateKey: "",
      content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } },
    });
    const a = main.fork();
    const b = main.fork();
    const c = main.fork();
    a.send({ id: "TB", type: "m.room.topic", sender: BOB, stateKey: "", content: { topic: "b" } });
    b.send({ id: "TC0", type: "m.room.message", sender: CHARLIE, content: { body: "x" } });
    b.send({ id: "TC", type: "m.room.topic", sender: CHARLIE, stateKey: "", content: { topic: "c" } });
    c.send({ id: "KB", type: "m.room.member", sender: ALICE, stateKey: BOB, content: { membership: "ban" } });
    c.send({
      id: "KC",
      type: "m.room.member",
      sender: ALICE,
      stateKey: CHARLIE,
      content: { membership: "ban" },
    });
    const state = await resolveState("1", [a.state, b.state, c.state], dag.fetch);
    expect(state.get(member(BOB))).toBe(dag.id("KB"));
    expect(state.get(member(CHARLIE))).toBe(dag.id("KC"));
    // Both topics fail (their senders are banned in R); TB is the shallower.
    expect(state.get(TOPIC)).toBe(dag.id("TB"));
  });

  it("throws MissingStateEventError when a conflicting event cannot be fetched", async () => {
    const { dag, main } = room();
    const a = main.fork();
    a.send({ id: "T1", type: "m.room.topic", sender: ALICE, stateKey: "", content: { topic: "1" } });
    const b = a.fork();
    b.send({ id: "T2", type: "m.room.topic", sender: ALICE, stateKey: "", content: { topic: "2" } });
    const fetch = (id: string) => (id === dag.id("T2") ? undefined : dag.fetch(id));
    await expect(resolveState("1", [a.state, b.state], fetch)).rejects.toBeInstanceOf(MissingStateEventError);
    await expect(resolveState("10", [a.state, b.state], fetch)).rejects.toThrow(/T2/);
  });

  it("throws for an unknown room version", async () => {
    await expect(resolveState("999", [new Map(), new Map()], () => undefined)).rejects.toThrow();
  });
});

/**
 * resolveState's options and its handling of missing events.
 */
import { describe, expect, it } from "vitest";
import { authChainDifference, resolveState } from "./index.js";
import { ALICE, BOB, CHARLIE, key, TestDag } from "./test-dag.js";

const PL = key("m.room.power_levels", "");
const JR = key("m.room.join_rules", "");

/** Alice gives Bob 50; on one side Bob gives Charlie 50 and Charlie lowers himself. */
function offtopic() {
  const { dag, main } = TestDag.createRoom("10", { members: [BOB, CHARLIE] });
  const pl = (id: string, sender: string, users: Record<string, number>) => ({
    id,
    type: "m.room.power_levels",
    sender,
    stateKey: "",
    content: { users },
  });
  main.send(pl("PA", ALICE, { [ALICE]: 100, [BOB]: 50 }));
  const a = main.fork();
  a.send(pl("PB", BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }));
  a.send(pl("PC", CHARLIE, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 }));
  return { dag, sets: [a.state, main.state] };
}

describe("resolveState", () => {
  it("uses a supplied auth difference instead of walking auth chains", async () => {
    const { dag, sets } = offtopic();
    let calls = 0;
    const precomputed = async (stateSets: ReadonlyArray<ReadonlySet<string>>) => {
      calls++;
      return authChainDifference(stateSets, dag.fetch);
    };
    const state = await resolveState("10", sets, dag.fetch, { authChainDifference: precomputed });
    expect(calls).toBe(1);
    expect(state.get(PL)).toBe(dag.id("PC"));
    // An (incorrect) empty difference leaves PB out, so PC fails against PA: the callback is used.
    const wrong = await resolveState("10", sets, dag.fetch, { authChainDifference: () => [] });
    expect(wrong.get(PL)).toBe(dag.id("PA"));
  });

  it("does not use rejected auth events in the iterative auth checks", async () => {
    const { dag, main } = TestDag.createRoom("12", { members: [BOB] });
    main.send({
      id: "JR1",
      type: "m.room.join_rules",
      sender: ALICE,
      stateKey: "",
      content: { join_rule: "invite" },
    });
    main.send({
      id: "LEAVE",
      type: "m.room.member",
      sender: ALICE,
      stateKey: ALICE,
      content: { membership: "leave" },
    });
    const stale = new Map(main.state);
    stale.set(JR, dag.id("IJR"));
    const accepted = await resolveState("12", [stale, main.state], dag.fetch);
    expect(accepted.get(JR)).toBe(dag.id("JR1"));
    // If Alice's join is known to be rejected, neither join rules event has a joined sender.
    const rejected = await resolveState("12", [stale, main.state], dag.fetch, {
      isRejected: (id) => id === dag.id("IMA"),
    });
    expect(rejected.has(JR)).toBe(false);
  });

  it("skips missing events outside the conflicted state set", async () => {
    const { dag, sets } = offtopic();
    // The join rules are unconflicted and in every auth chain; without them the walk stops there,
    // and the power levels events do not need them. (A missing event the auth rules do need makes
    // the events depending on it fail, as it would with no such event.)
    const missing = dag.id("IJR");
    const fetch = (id: string) => (id === missing ? undefined : dag.fetch(id));
    const state = await resolveState("10", sets, fetch);
    expect(state.get(PL)).toBe(dag.id("PC"));
    expect(state.get(JR)).toBe(missing);
  });

  it("accepts asynchronous fetchers and returns a fresh map for one state set", async () => {
    const { dag, sets } = offtopic();
    const state = await resolveState("10", sets, async (id) => dag.fetch(id));
    expect(state.get(PL)).toBe(dag.id("PC"));
    const single = await resolveState("10", [sets[0]!], dag.fetch);
    expect(single).toEqual(sets[0]);
    expect(single).not.toBe(sets[0]);
    expect(await resolveState("10", [], dag.fetch)).toEqual(new Map());
  });
});

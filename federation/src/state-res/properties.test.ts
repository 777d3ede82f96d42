/**
 * Property tests: on random forked rooms, the resolved state does not depend on the order of the
 * state sets, nor on the order of entries within them, nor on whether events are fetched
 * synchronously; and resolving a state with itself gives it back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../events/types.js";
import { resolveState } from "./index.js";
import { ALICE, BOB, CHARLIE, type EventSpec, Fork, TestDag, ZARA } from "./test-dag.js";

const USERS = [ALICE, BOB, CHARLIE, ZARA, "@yan:example.org"];
const LEVELS = [0, 10, 50, 100];

const opArb = fc.record({
  fork: fc.nat(2),
  kind: fc.constantFrom("topic", "name", "pl", "join", "leave", "kick", "ban", "invite", "jr", "merge"),
  actor: fc.nat(USERS.length - 1),
  target: fc.nat(USERS.length - 1),
  levels: fc.array(fc.nat(LEVELS.length - 1), { minLength: 4, maxLength: 4 }),
  other: fc.nat(2),
});
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function specOf(op: Op, version: string): EventSpec | undefined {
  const actor = USERS[op.actor]!;
  const target = USERS[op.target]!;
  const membership = (m: string, extra: JsonObject = {}): EventSpec => ({
    type: "m.room.member",
    sender: actor,
    stateKey: target,
    content: { membership: m, ...extra },
  });
  switch (op.kind) {
    case "topic":
      return { type: "m.room.topic", sender: actor, stateKey: "", content: { topic: String(op.target) } };
    case "name":
      return { type: "m.room.name", sender: actor, stateKey: "", content: { name: String(op.target) } };
    case "pl": {
      const users: Record<string, number> = version === "12" ? {} : { [ALICE]: 100 };
      op.levels.forEach((l, i) => {
        users[USERS[i + 1]!] = LEVELS[l]!;
      });
      return { type: "m.room.power_levels", sender: actor, stateKey: "", content: { users } };
    }
    case "join":
      return { type: "m.room.member", sender: actor, stateKey: actor, content: { membership: "join" } };
    case "leave":
      return { type: "m.room.member", sender: actor, stateKey: actor, content: { membership: "leave" } };
    case "kick":
      return membership("leave");
    case "ban":
      return membership("ban");
    case "invite":
      return membership("invite");
    case "jr":
      return {
        type: "m.room.join_rules",
        sender: actor,
        stateKey: "",
        content: { join_rule: op.target % 2 ? "public" : "invite" },
      };
    default:
      return undefined;
  }
}

/** Builds a room with three forks from a list of operations, skipping those that fail auth. */
async function buildForks(version: string, ops: readonly Op[]): Promise<{ dag: TestDag; forks: Fork[] }> {
  const powerLevels: JsonObject = {
    users: version === "12" ? { [BOB]: 50, [CHARLIE]: 50 } : { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 },
  };
  const { dag, main } = TestDag.createRoom(version, { members: [BOB, CHARLIE, ZARA], powerLevels });
  const forks = [main.fork(), main.fork(), main.fork()];
  for (const op of ops) {
    if (op.kind === "merge") {
      if (op.other !== op.fork) forks[op.fork] = await Fork.merge([forks[op.fork]!, forks[op.other]!]);
      continue;
    }
    const spec = specOf(op, version);
    if (!spec) continue;
    try {
      forks[op.fork]!.send(spec);
    } catch {
      // Not allowed by its auth events: a real server would not have created it.
    }
  }
  return { dag, forks };
}

/** A deterministic shuffle driven by `seed`. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const sorted = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe.each(["1", "10", "12"])("state resolution properties, room version %s", (version) => {
  it("does not depend on the order of the state sets or of their entries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        fc.integer(),
        fc.boolean(),
        async (ops, seed, asyncFetch) => {
          const { dag, forks } = await buildForks(version, ops);
          const sets = forks.map((f) => f.state);
          const expected = sorted(await resolveState(version, sets, dag.fetch));

          const shuffledSets = shuffle(sets, seed).map((s, i) => new Map(shuffle([...s], seed + i + 1)));
          const fetch = asyncFetch ? async (id: string) => dag.fetch(id) : dag.fetch;
          const actual = sorted(await resolveState(version, shuffledSets, fetch));
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("resolving a state with itself gives it back", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 15 }), async (ops) => {
        const { dag, forks } = await buildForks(version, ops);
        const state = forks[0]!.state;
        expect(sorted(await resolveState(version, [state, new Map(state)], dag.fetch))).toEqual(
          sorted(state),
        );
      }),
      { numRuns: 20 },
    );
  });
});

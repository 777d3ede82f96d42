/**
 * State resolution benchmark: a room with 10 000 joined members and two forks that each change the
 * same 100 state keys (power levels, join rules and 98 members), resolved with v2.1 (room version
 * 12, the default; it does everything v2 does plus the conflicted state subgraph).
 */
import { resolveState } from "../src/state-res/index.js";
import { ALICE, type Fork, TestDag } from "../src/state-res/test-dag.js";
import type { BenchCase } from "./harness.js";

const MEMBERS = 10_000;
const CONFLICTED_MEMBERS = 98;
const ROOM_VERSION = "12";

interface Room {
  readonly dag: TestDag;
  readonly forks: [Fork, Fork];
}

let built: Room | undefined;

/** Builds the room once (some seconds: every event is checked against its auth events). */
function room(): Room {
  if (built) return built;
  const users = Array.from({ length: MEMBERS }, (_, i) => `@user${i}:example.org`);
  const { dag, main } = TestDag.createRoom(ROOM_VERSION, {
    powerLevels: { users: {}, kick: 50, ban: 50 },
  });
  for (const user of users) main.join(user);
  const a = main.fork();
  const b = main.fork();
  // Fork a: Alice raises the first two users, closes the room and kicks 98 members (power events).
  a.send({
    type: "m.room.power_levels",
    sender: ALICE,
    stateKey: "",
    content: { users: { [users[0]!]: 50, [users[1]!]: 50 }, kick: 50, ban: 50 },
  });
  a.send({ type: "m.room.join_rules", sender: ALICE, stateKey: "", content: { join_rule: "invite" } });
  for (let i = 2; i < 2 + CONFLICTED_MEMBERS; i++) {
    a.send({ type: "m.room.member", sender: ALICE, stateKey: users[i]!, content: { membership: "leave" } });
  }
  // Fork b: another power levels and join rules change; the same 98 members change their profile.
  b.send({
    type: "m.room.power_levels",
    sender: ALICE,
    stateKey: "",
    content: { users: { [users[0]!]: 10 }, kick: 50, ban: 50 },
  });
  b.send({ type: "m.room.join_rules", sender: ALICE, stateKey: "", content: { join_rule: "knock" } });
  for (let i = 2; i < 2 + CONFLICTED_MEMBERS; i++) {
    b.send({
      type: "m.room.member",
      sender: users[i]!,
      stateKey: users[i]!,
      content: { membership: "join", displayname: `User ${i}` },
    });
  }
  built = { dag, forks: [a, b] };
  return built;
}

/** The state resolution benchmark cases. */
export const cases: BenchCase[] = [
  {
    name: "resolveState: 10k members, 2 forks × 100 conflicting state events",
    unit: "ms",
    target: { op: "<", value: 250 },
    async run() {
      const { dag, forks } = room();
      const start = performance.now();
      await resolveState(
        ROOM_VERSION,
        forks.map((f) => f.state),
        dag.fetch,
      );
      return performance.now() - start;
    },
  },
];

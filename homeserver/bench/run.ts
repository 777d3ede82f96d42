/**
 * `npm run bench --workspace @hearth/homeserver`: the homeserver benchmarks, each against a Hearth
 * process on 127.0.0.1, printed as a Markdown table of medians with the targets.
 * `… -- <filter>` runs only the scenarios whose name contains the filter. The federation scenarios run
 * three (or four) processes on 127.0.0.2–5 through the multi-node test harness; the gossip scale suite
 * (`gossip-scale.ts`) runs clusters of up to 40 on 127.0.1.x and prints its own table too. Opt-in
 * scenarios (a long setup) run only when the filter names them: `npm run bench -- join`.
 */
import { availableParallelism } from "node:os";
import { type BenchResult, formatTable } from "../../federation/bench/harness.js";
import { deliveryScenario } from "./delivery.js";
import { federationDeliveryScenario } from "./federation-delivery.js";
import { federationJoinScenario } from "./federation-join.js";
import { gossipScaleSuite, type Suite } from "./gossip-scale.js";
import { initialSyncScenario } from "./initial-sync.js";
import { memoryScenario } from "./memory.js";
import { runScenario, type Scenario } from "./scenario.js";
import { sendScenario } from "./send.js";
import { wsIdleScenario } from "./ws-idle.js";

const scenarios: (Scenario | Suite)[] = [
  sendScenario,
  deliveryScenario,
  memoryScenario,
  wsIdleScenario,
  initialSyncScenario,
  federationDeliveryScenario,
  gossipScaleSuite,
];
/** Run only when the filter matches their name (their setup takes minutes). */
const optIn: (Scenario | Suite)[] = [federationJoinScenario];

const filter = process.argv[2]?.toLowerCase();
const results: BenchResult[] = [];
const failures: string[] = [];
const selected = [
  ...scenarios.filter((s) => !filter || s.name.toLowerCase().includes(filter)),
  ...optIn.filter((s) => filter && s.name.toLowerCase().includes(filter)),
];
for (const s of selected) {
  try {
    if ("run" in s) {
      const { results: rows, failures: failed } = await s.run();
      results.push(...rows);
      failures.push(...failed.map((f) => `${s.name}: ${f}`));
    } else results.push(...(await runScenario(s)));
  } catch (e) {
    failures.push(`${s.name}: ${(e as Error).message}`);
    process.stderr.write(`  ${s.name} failed: ${(e as Error).stack}\n`);
  }
}
console.log(
  `\nHearth homeserver benchmarks (node ${process.version}, ${availableParallelism()} cores, medians)`,
);
console.log(
  "Each scenario runs Hearth as its own process on 127.0.0.1; the load generator shares the machine.\n",
);
console.log(formatTable(results));
if (failures.length > 0) {
  console.log(`\nFailed:\n${failures.map((f) => `- ${f}`).join("\n")}`);
  process.exitCode = 1;
}

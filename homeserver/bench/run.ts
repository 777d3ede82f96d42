/**
 * `npm run bench --workspace @hearth/homeserver`: the homeserver benchmarks, each against a Hearth
 * process on 127.0.0.1, printed as a Markdown table of medians with the targets.
 * `… -- <filter>` runs only the scenarios whose name contains the filter.
 */
import { availableParallelism } from "node:os";
import { type BenchResult, formatTable } from "../../federation/bench/harness.js";
import { deliveryScenario } from "./delivery.js";
import { initialSyncScenario } from "./initial-sync.js";
import { memoryScenario } from "./memory.js";
import { runScenario, type Scenario } from "./scenario.js";
import { sendScenario } from "./send.js";

const scenarios: Scenario[] = [sendScenario, deliveryScenario, memoryScenario, initialSyncScenario];

const filter = process.argv[2]?.toLowerCase();
const results: BenchResult[] = [];
const failures: string[] = [];
for (const s of scenarios.filter((s) => !filter || s.name.toLowerCase().includes(filter))) {
  try {
    results.push(...(await runScenario(s)));
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

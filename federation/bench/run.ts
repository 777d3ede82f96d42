/**
 * `npm run bench`: runs every benchmark of the protocol core and prints a table of medians.
 * `npm run bench -- <filter>` runs only the cases whose name contains the filter.
 */
import { type BenchCase, formatTable, runCases } from "./harness.js";

const modules = ["./federation.js", "./state-res.js"];

const filter = process.argv[2]?.toLowerCase();
const cases: BenchCase[] = [];
for (const m of modules) {
  const mod = (await import(m)) as { cases: BenchCase[] };
  cases.push(...mod.cases.filter((c) => !filter || c.name.toLowerCase().includes(filter)));
}
console.log(`Hearth protocol-core benchmarks (node ${process.version}, medians)\n`);
console.log(formatTable(await runCases(cases)));

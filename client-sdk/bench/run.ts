/**
 * `npm run bench --workspace @hearth/client-sdk` (and the root `npm run bench`): the SDK's
 * send → receive latency over the stream and over long-polling, as a table in the format of the
 * other benchmarks (`federation/bench/harness.ts`). `… -- <filter>` runs only matching figures.
 */
import { availableParallelism } from "node:os";
import { type BenchResult, formatTable, median } from "../../federation/bench/harness.js";
import { benchServer, pair } from "./latency.js";

const MESSAGES = 1_000;
const WARMUP = 100;
const RUNS = 3;

const filter = process.argv[2]?.toLowerCase();
if (filter && !"sdk latency stream long-poll".includes(filter)) process.exit(0);

const progress = (m: string) => process.stderr.write(`  ${m}\n`);
const server = await benchServer();
const rows: BenchResult[] = [];
const p99s: Record<string, number> = {};
let failed = false;
try {
  for (const transport of ["websocket", "long-poll"] as const) {
    const label = transport === "websocket" ? "stream" : "long-poll";
    progress(`SDK ${label}: setting up`);
    const p = await pair(server.url, transport);
    try {
      await p.measure(WARMUP);
      const runs: Array<{ p50: number; p99: number }> = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await p.measure(MESSAGES);
        progress(`SDK ${label}: run ${i + 1}: p50=${r.p50.toFixed(2)} p99=${r.p99.toFixed(2)} ms`);
        runs.push(r);
      }
      for (const key of ["p50", "p99"] as const) {
        const values = runs.map((r) => r[key]);
        const m = median(values);
        const target =
          transport === "websocket" && key === "p99" ? { op: "<" as const, value: 10 } : undefined;
        rows.push({
          name: `SDK send → receive ${key}, ${label}, ${MESSAGES} messages`,
          unit: "ms",
          median: m,
          min: Math.min(...values),
          max: Math.max(...values),
          runs: values.length,
          ...(target ? { target: `${target.op} ${target.value}`, met: m < target.value } : {}),
        });
        if (key === "p99") p99s[label] = m;
      }
    } finally {
      await p.close();
    }
  }
  const ratio = p99s.stream! / p99s["long-poll"]!;
  rows.push({
    name: "SDK p99 stream ÷ p99 long-poll",
    unit: "×",
    median: ratio,
    min: ratio,
    max: ratio,
    runs: 1,
    target: "< 1",
    met: ratio < 1,
  });
} catch (e) {
  failed = true;
  process.stderr.write(`  SDK latency failed: ${(e as Error).stack}\n`);
} finally {
  await server.close();
}
console.log(
  `\nHearth client SDK benchmarks (node ${process.version}, ${availableParallelism()} cores, medians)`,
);
console.log("Two SDK clients in this process, Hearth in its own process on 127.0.0.1.\n");
console.log(formatTable(rows));
if (failed) process.exitCode = 1;

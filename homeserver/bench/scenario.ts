/**
 * Scenarios: a benchmark that needs an expensive setup (a server process, thousands of users) and
 * measures several figures per run. The table shows each figure's median over the runs, in the
 * format of the protocol-core benchmarks (`federation/bench/harness.ts`).
 */
import { type BenchResult, median } from "../../federation/bench/harness.js";

/** A figure's target, from the issue. */
export interface Target {
  readonly op: ">=" | "<";
  readonly value: number;
}

/** One figure a scenario reports. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly target?: Target;
}

/** A prepared scenario: measure it several times, then close it. */
export interface Session {
  /** One run: a value for each figure key. */
  measure(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A benchmark scenario. */
export interface Scenario {
  readonly name: string;
  /** The figures, by the keys `measure()` returns. */
  readonly figures: Readonly<Record<string, Figure>>;
  /** Runs to take the median of. */
  readonly runs: number;
  setup(): Promise<Session>;
}

/** Writes progress to stderr (the table goes to stdout). */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** Sets a scenario up, measures it `runs` times and returns one row per figure. */
export async function runScenario(scenario: Scenario): Promise<BenchResult[]> {
  progress(`${scenario.name}: setting up`);
  const started = performance.now();
  const session = await scenario.setup();
  progress(`${scenario.name}: set up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const values = new Map<string, number[]>();
  try {
    for (let i = 0; i < scenario.runs; i++) {
      const run = await session.measure();
      progress(
        `${scenario.name}: run ${i + 1}: ${Object.entries(run)
          .map(([k, v]) => `${k}=${v.toFixed(2)}`)
          .join(" ")}`,
      );
      for (const [key, value] of Object.entries(run)) values.set(key, [...(values.get(key) ?? []), value]);
    }
  } finally {
    await session.close();
  }
  return Object.entries(scenario.figures).map(([key, figure]) => {
    const list = values.get(key) ?? [Number.NaN];
    const m = median(list);
    const t = figure.target;
    const met = t ? (t.op === ">=" ? m >= t.value : m < t.value) : undefined;
    return {
      name: figure.name,
      unit: figure.unit,
      median: m,
      min: Math.min(...list),
      max: Math.max(...list),
      runs: list.length,
      ...(t ? { target: `${t.op} ${t.value}`, met } : {}),
    };
  });
}

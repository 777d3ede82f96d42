/**
 * A tiny benchmark harness: each case measures one figure per run; the table shows the median of
 * several runs (the machines are shared and noisy, so one run proves little).
 */

/** One benchmark: `run` performs a measurement and returns the figure in `unit`. */
export interface BenchCase {
  readonly name: string;
  readonly unit: "ops/s" | "ms";
  /** Higher is better for ops/s, lower for ms; the target, if the issue names one. */
  readonly target?: { readonly op: ">=" | "<"; readonly value: number };
  /** Performs one measurement (a run should take ~0.2–2 s) and returns the figure. */
  run(): number | Promise<number>;
  /** Runs to take the median of (default 5). */
  readonly runs?: number;
}

/** Measures how many times `fn` runs per second, over at least `minMs` milliseconds. */
export function opsPerSecond(fn: () => unknown, minMs = 400): number {
  // Warm up so the JIT has seen the code.
  for (let i = 0; i < 50; i++) fn();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    count += 50;
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row of the results table. */
export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
  readonly target?: string;
  readonly met?: boolean;
}

/** Runs every case and returns its row. */
export async function runCases(cases: readonly BenchCase[]): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of cases) {
    const values: number[] = [];
    for (let i = 0; i < (c.runs ?? 5); i++) values.push(await c.run());
    const m = median(values);
    const met = c.target ? (c.target.op === ">=" ? m >= c.target.value : m < c.target.value) : undefined;
    results.push({
      name: c.name,
      unit: c.unit,
      median: m,
      min: Math.min(...values),
      max: Math.max(...values),
      runs: values.length,
      ...(c.target ? { target: `${c.target.op} ${c.target.value}`, met } : {}),
    });
  }
  return results;
}

/** Formats results as a Markdown table. */
export function formatTable(results: readonly BenchResult[]): string {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));
  const rows = results.map((r) => [
    r.name,
    `${fmt(r.median)} ${r.unit}`,
    `${fmt(r.min)}–${fmt(r.max)}`,
    String(r.runs),
    r.target ? `${r.target} ${r.met ? "✓" : "✗"}` : "",
  ]);
  const header = ["benchmark", "median", "range", "runs", "target"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

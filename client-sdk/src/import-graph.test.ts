// The SDK's core must run in browsers: its import graph (everything but the Node adapter,
// src/node/) holds no `node:` module, and of @hearth/federation only the browser-safe entry
// `@hearth/federation/client`. The core does not use Node globals either.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));
const NODE_ADAPTER = join(SRC, "node");

/** Every file reachable from `entry` by its import and export statements, and the bare specifiers. */
function importGraph(entry: string): { files: Set<string>; bare: Array<{ file: string; spec: string }> } {
  const files = new Set<string>();
  const bare: Array<{ file: string; spec: string }> = [];
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else bare.push({ file, spec });
    }
  };
  visit(entry);
  return { files, bare };
}

describe("the SDK's core", () => {
  const { files, bare } = importGraph(join(SRC, "index.ts"));

  it("imports no node: modules and nothing of @hearth/federation but its client entry", () => {
    const offenders = bare.filter(({ spec }) => spec !== "@hearth/federation/client");
    expect(offenders).toEqual([]);
    expect(files.size).toBeGreaterThan(10);
  });

  it("does not reach the Node adapter", () => {
    expect([...files].filter((f) => f.startsWith(NODE_ADAPTER + "/"))).toEqual([]);
  });

  it("uses no Node globals", () => {
    const offenders: string[] = [];
    for (const file of files) {
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const name of [
        /\bBuffer\b/,
        /\bprocess\./,
        /\brequire\(/,
        /\b__dirname\b/,
        /\bsetImmediate\b/,
        /\bNodeJS\./,
      ])
        if (name.test(code)) offenders.push(`${file}: ${name.source}`);
    }
    expect(offenders).toEqual([]);
  });

  it("covers every source file outside the adapter (nothing is left out of the graph by accident)", () => {
    const all = readdirSync(SRC, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("node/"))
      .map((f) => join(SRC, f));
    expect(all.filter((f) => !files.has(f))).toEqual([]);
  });
});

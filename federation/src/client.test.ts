// The client entry point must stay importable in browsers: no `node:` modules, no other packages.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("@hearth/federation/client", () => {
  it("imports nothing but its own pure modules", () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "client.ts");
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)) {
        const spec = m[1]!;
        if (!spec.startsWith(".")) {
          offenders.push(`${file}: ${spec}`);
          continue;
        }
        visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    visit(root);
    expect(offenders).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });
});

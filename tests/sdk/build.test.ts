// `npm run build --workspace @hearth/client-sdk`: an ESM build that Node imports without the monorepo's
// TypeScript sources, whose browser entry pulls in no `node:` module, and whose declarations
// typecheck a consumer on their own.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/process.js";

describe("the SDK's build", () => {
  let out: string;
  afterAll(() => (out ? rm(out, { recursive: true, force: true }) : undefined));

  it("emits dist/index.js, dist/node.js and their declarations", { timeout: 60_000 }, async () => {
    out = await mkdtemp(join(tmpdir(), "hearth-sdk-dist-"));
    const dist = join(out, "dist");
    const built = spawnSync(process.execPath, [join(REPO_ROOT, "client-sdk/scripts/build.mjs"), dist], {
      encoding: "utf8",
    });
    expect(built.status, built.stderr + built.stdout).toBe(0);

    // The browser entry and the chunks it imports: no node: modules, no bare imports at all.
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of (await readFile(join(dist, file), "utf8")).matchAll(
        /(?:import|export)[^;]*?from\s*"([^"]+)"/g,
      )) {
        if (m[1]!.startsWith("./")) await visit(m[1]!.slice(2));
        else bare.push(m[1]!);
      }
    };
    await visit("index.js");
    expect(bare).toEqual([]);

    // Node imports the build (with `ws` installed beside it) and finds the API.
    await symlink(join(REPO_ROOT, "node_modules"), join(out, "node_modules"));
    const probe = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const sdk = await import(${JSON.stringify(join(dist, "index.js"))});
         const node = await import(${JSON.stringify(join(dist, "node.js"))});
         const c = node.createNodeClient({ baseUrl: "http://127.0.0.1:1" });
         console.log(JSON.stringify([typeof sdk.createClient, typeof sdk.MatrixError, c instanceof sdk.MatrixClient, typeof node.FileStore]));`,
      ],
      { encoding: "utf8" },
    );
    expect(probe.stderr).toBe("");
    expect(JSON.parse(probe.stdout)).toEqual(["function", "function", true, "function"]);

    // The declarations are self-contained: a consumer typechecks against them alone.
    await writeFile(
      join(out, "consumer.ts"),
      `import { createClient, MatrixError, type Room } from "./dist/index.js";
       import { FileStore } from "./dist/node.js";
       const client = createClient({ baseUrl: "http://localhost:8008", store: new FileStore("/tmp/x.json") });
       client.on("timeline", (event, roomId) => { const b: unknown = event.content.body; void b; void roomId; });
       const room: Room | undefined = client.room("!r:x");
       const e: MatrixError = new MatrixError("M_FORBIDDEN", "no");
       export const check: [string | undefined, number] = [room?.name, e.status];
       // @ts-expect-error sendText wants a room and a body
       void client.sendText("!r:x");`,
    );
    await writeFile(
      join(out, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          lib: ["ES2023", "DOM"],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", out], {
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});

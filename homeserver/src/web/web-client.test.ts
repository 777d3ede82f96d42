// The web client at / on the client listener: its files with cache headers and a strict CSP, the
// APIs untouched (unknown /_matrix paths still 404 M_UNRECOGNIZED), `web_client: off`, the page
// shown while a build runs, and no way out of the build folder.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { IMMUTABLE_CACHE, WEB_CLIENT_CSP, WebClient } from "./web-client.js";

describe("the web client on the client listener", () => {
  let dist: string;
  let server: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "hearth-web-"));
    await mkdir(join(dist, "assets"));
    await writeFile(
      join(dist, "index.html"),
      '<!doctype html><script type="module" src="./assets/app-1a2b.js"></script>',
    );
    await writeFile(join(dist, "assets/app-1a2b.js"), "console.log(1)");
    await writeFile(join(dist, "favicon.svg"), "<svg/>");
    await writeFile(join(dist, ".hearth-build.json"), "{}");
    server = await startTestServer({}, undefined, { webClient: { distDir: dist } });
    off = await startTestServer({ web_client: "off" }, undefined, { webClient: { distDir: dist } });
  });
  afterAll(async () => {
    await server.destroy();
    await off.destroy();
    await rm(dist, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache, a strict CSP and the security headers", async () => {
    for (const path of ["/", "/index.html"]) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toBe(WEB_CLIENT_CSP);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(await res.text()).toContain("app-1a2b.js");
    }
    const csp = WEB_CLIENT_CSP;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain("unsafe");
  });

  it("serves hashed assets as immutable, others as no-cache, and revalidates by ETag", async () => {
    const asset = await fetch(`${server.url}/assets/app-1a2b.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe(IMMUTABLE_CACHE);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const icon = await fetch(`${server.url}/favicon.svg`);
    expect(icon.headers.get("cache-control")).toBe("no-cache");
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    const etag = (await fetch(`${server.url}/`)).headers.get("etag")!;
    const again = await fetch(`${server.url}/`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("leaves the APIs as they were: unknown /_matrix paths are 404 M_UNRECOGNIZED", async () => {
    const versions = await fetch(`${server.url}/_matrix/client/versions`);
    expect(versions.status).toBe(200);
    for (const path of ["/_matrix/client/v3/nope", "/_matrix/nope", "/_synapse/nope", "/.well-known/nope"]) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ errcode: "M_UNRECOGNIZED" });
    }
    // A path a route serves with another method is still 405.
    const post = await fetch(`${server.url}/health`, { method: "POST" });
    expect(post.status).toBe(405);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("answers 404 outside the build: unknown files, dotfiles, traversal", async () => {
    for (const path of [
      "/nope.js",
      "/assets/",
      "/.hearth-build.json",
      "/%2e%2e/package.json",
      "/assets/..%2f..%2fetc%2fpasswd",
      "/%E0%A4%A",
    ]) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-security-policy"), path).toBe(WEB_CLIENT_CSP);
    }
  });

  it("is off with web_client: off (HEARTH_WEB_CLIENT=off)", async () => {
    const res = await fetch(`${off.url}/`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
  });
});

describe("WebClient while building", () => {
  it("answers 503 with a self-reloading page until the first build is there", async () => {
    const dist = join(await mkdtemp(join(tmpdir(), "hearth-web-")), "dist");
    let finish!: () => void;
    const web = new WebClient({
      distDir: dist,
      logger: createLogger("silent"),
      build: async () => {
        await new Promise<void>((r) => (finish = r));
        await mkdir(dist);
        await writeFile(join(dist, "index.html"), "<!doctype html><p>built</p>");
        return "built";
      },
    });
    const get = (path: string) =>
      web.handle({ req: { path, header: () => undefined } } as unknown as Parameters<WebClient["handle"]>[0]);
    web.start();
    const building = await get("/");
    expect(building.status).toBe(503);
    expect(building.headers.get("retry-after")).toBe("2");
    expect(await building.text()).toContain('http-equiv="refresh"');
    finish();
    await web.stop();
    const ready = await get("/");
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain("built");
    await rm(join(dist, ".."), { recursive: true, force: true });
  });
});

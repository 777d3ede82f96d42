// The web client (client-sdk/apps/web) in Chromium, driven by playwright-core, against a real Hearth
// process: two browser contexts create accounts through the UI; one creates a room and invites the
// other, who accepts; messages go both ways live; typing and read ticks show; an image upload shows a
// progress bar and its preview on both sides; a reply, an edit and a reaction render; the server is
// restarted and both pages recover and keep chatting with nothing lost or doubled; HTML and
// `javascript:` links render inert. Screenshots go to test-artifacts/web/ (git-ignored).
//
// Needs Debian's Chromium at /usr/bin/chromium (HEARTH_CHROMIUM overrides): `.ci/run` installs it;
// without it the suite is skipped, saying so.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStale } from "../../client-sdk/apps/web/scripts/build.js";
import { createNodeClient } from "../../client-sdk/src/node/index.js";
import { type HearthProcess, ProcessGroup, REPO_ROOT } from "../support/process.js";

// The browser globals the functions run in the pages use (the tests compile without the DOM library).
declare const document: any;
declare const window: any;
declare const location: any;

const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(
    `tests/web: skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`,
  );
}
const ARTIFACTS = join(REPO_ROOT, "test-artifacts/web");
const PASSWORD = "correct horse battery staple";
/** How long a step may take to show on the other page (the machine is shared and busy). */
const LIVE_MS = 20_000;

/** Waits until `locator` is visible. */
async function see(locator: Locator, timeout = LIVE_MS): Promise<Locator> {
  await locator.waitFor({ state: "visible", timeout });
  return locator;
}

/** The timeline message (a list item) containing `text`. */
function message(page: Page, text: string): Locator {
  return page.getByRole("log").getByRole("listitem").filter({ hasText: text });
}

/** A PNG drawn by the page's canvas: noise, so it does not compress and the upload takes a while. */
async function noisePng(page: Page, size: number): Promise<Buffer> {
  const base64 = await page.evaluate((n) => {
    const canvas = document.createElement("canvas");
    canvas.width = n;
    canvas.height = n;
    const ctx = canvas.getContext("2d")!;
    const image = ctx.createImageData(n, n);
    for (let i = 0; i < image.data.length; i += 4) {
      const x = (i / 4) % n;
      image.data[i] = (x * 255) / n;
      image.data[i + 1] = Math.random() * 255;
      image.data[i + 2] = 160;
      image.data[i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    return canvas.toDataURL("image/png").split(",")[1]!;
  }, size);
  return Buffer.from(base64, "base64");
}

describe.skipIf(!HAVE_CHROMIUM)("web client in Chromium against a real Hearth", () => {
  const group = new ProcessGroup();
  let server: HearthProcess;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const problems: string[] = [];
  const suffix = Date.now().toString(36);
  const aliceName = `alice${suffix}`;
  const bobName = `bob${suffix}`;
  const bobId = `@${bobName}:localhost`;
  const roomName = "Hearth test room";

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // `hearth start` rebuilds the web client in the background when its sources changed since the
    // last build (npm ci built it): wait for the page, not the 503 "being built" one.
    server = await group.start();
    const deadline = Date.now() + 150_000;
    for (;;) {
      const res = await fetch(`${server.url}/`).catch(() => undefined);
      const html = res ? await res.text() : "";
      // Served, and built from the sources on disk (not the previous build, served while rebuilding).
      if (res?.status === 200 && html.includes("<script") && !(await isStale())) break;
      if (Date.now() > deadline) throw new Error(`the web client was not served: ${res?.status} ${html}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const open = async (who: string) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.on("pageerror", (e) => problems.push(`${who}: page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text()))
          problems.push(`${who}: ${m.text()}`);
      });
      await page.goto(server.url);
      return page;
    };
    [alice, bob] = await Promise.all([open("alice"), open("bob")]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await group.cleanup();
  });

  it("creates both accounts through the sign-in page", async () => {
    for (const [page, name] of [
      [alice, aliceName],
      [bob, bobName],
    ] as const) {
      await page.getByLabel("Username").fill(name);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
    }
    await see(alice.getByRole("navigation", { name: "Rooms" }));
    await see(bob.getByRole("navigation", { name: "Rooms" }));
    await see(alice.getByRole("button", { name: "Sign out" }));
  }, 60_000);

  it("creates a room and invites the other user, who accepts", async () => {
    await alice.getByRole("button", { name: "New room" }).click();
    await alice.getByLabel("Room name").fill(roomName);
    await alice.getByRole("button", { name: "Create", exact: true }).click();
    await see(alice.getByRole("heading", { name: roomName }));
    await see(alice.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name: roomName }));
    await alice.getByLabel("User ID").fill(bobId);
    await alice.getByRole("button", { name: "Invite", exact: true }).click();
    await see(alice.getByText(`Invited ${bobId}.`));

    const invite = bob.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name: roomName });
    await see(invite);
    await bob.getByRole("button", { name: "Accept" }).click();
    await see(bob.getByRole("heading", { name: roomName }));
    await see(bob.getByRole("log").getByText(`${bobName} joined`));
  }, 60_000);

  it("delivers messages both ways live, with typing and read ticks", async () => {
    await alice.getByLabel("Message").fill("Hello Bob");
    await alice.getByRole("button", { name: "Send" }).click();
    await see(message(bob, "Hello Bob"));
    await bob.getByLabel("Message").fill("Hi Alice");
    await bob.getByLabel("Message").press("Enter");
    await see(message(alice, "Hi Alice"));

    // Typing: Bob types without sending; Alice sees the typing line, which clears when he stops.
    await bob.getByLabel("Message").pressSequentially("I am typ");
    await see(alice.getByText(/is typing/));
    await bob.getByLabel("Message").fill("");
    await bob.getByLabel("Message").blur();
    await alice.getByText(/is typing/).waitFor({ state: "hidden", timeout: LIVE_MS });

    // Read ticks: Bob has the room open, so his receipt marks Alice's message read.
    await see(message(alice, "Hello Bob").getByRole("img", { name: /^Read by / }));
    await see(message(bob, "Hi Alice").getByRole("img", { name: /^Read by / }));
  }, 60_000);

  it("uploads an image with a progress bar, and both sides see its preview", async () => {
    const png = await noisePng(alice, 480);
    // A slow uplink, so the progress bar is seen.
    const cdp = await alice.context().newCDPSession(alice);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await alice
      .getByLabel("Attach a file")
      .setInputFiles({ name: "noise.png", mimeType: "image/png", buffer: png });
    await see(alice.getByRole("progressbar", { name: "Uploading noise.png" }), 10_000);
    await alice.getByRole("progressbar").waitFor({ state: "detached", timeout: 40_000 });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    for (const page of [alice, bob]) {
      await see(page.getByRole("log").getByRole("img", { name: "noise.png", exact: true }));
      await page.waitForFunction(
        () => {
          const el = document.querySelector('img.message-image[alt="noise.png"]');
          return !!el && el.complete && el.naturalWidth === 480 && el.src.startsWith("blob:");
        },
        undefined,
        { timeout: LIVE_MS },
      );
    }
  }, 90_000);

  it("renders a reply, an edit and a reaction on both sides", async () => {
    const hello = message(bob, "Hello Bob");
    await hello.hover();
    await hello.getByRole("button", { name: "Reply" }).click();
    await bob.getByLabel("Message").fill("Replying to your hello");
    await bob.getByRole("button", { name: "Send" }).click();
    const reply = await see(message(alice, "Replying to your hello"));
    await see(reply.getByText(`In reply to you:`));

    const mine = message(alice, "Hello Bob");
    await mine.hover();
    await mine.getByRole("button", { name: "Edit" }).click();
    await alice.getByLabel("Message").fill("Hello Bob, edited");
    await alice.getByRole("button", { name: "Send" }).click();
    for (const page of [alice, bob]) {
      const edited = await see(message(page, "Hello Bob, edited"));
      await see(edited.getByText("(edited)"));
    }

    const target = message(bob, "Hello Bob, edited");
    await target.hover();
    await target.getByRole("button", { name: "React", exact: true }).click();
    await target.getByRole("button", { name: "React with 👍" }).click();
    for (const page of [alice, bob])
      await see(message(page, "Hello Bob, edited").getByRole("button", { name: "👍 1" }));
  }, 60_000);

  it("recovers after the server restarts, with nothing lost or doubled", async () => {
    await server.stop();
    await see(alice.getByRole("status").filter({ hasText: "Offline" }));
    await alice.getByLabel("Message").fill("Sent while the server was down");
    await alice.getByRole("button", { name: "Send" }).click();
    await see(message(alice, "Sent while the server was down"));
    await alice.screenshot({ path: join(ARTIFACTS, "alice-offline.png") });
    await server.start();

    await see(message(bob, "Sent while the server was down"), 40_000);
    await bob.getByLabel("Message").fill("Back again");
    await bob.getByRole("button", { name: "Send" }).click();
    await see(message(alice, "Back again"), 40_000);
    await alice
      .getByRole("status")
      .filter({ hasText: "Offline" })
      .waitFor({ state: "hidden", timeout: LIVE_MS });
    await see(message(alice, "Sent while the server was down").getByRole("img", { name: /^(Sent|Read by)/ }));

    // A reload resumes from the saved session and sync state.
    await bob.reload();
    await see(bob.getByRole("heading", { name: roomName }));
    for (const page of [alice, bob]) {
      for (const text of ["Hello Bob, edited", "Hi Alice", "Replying to your hello", "Back again"])
        await see(message(page, text));
      expect(await message(page, "Sent while the server was down").count()).toBe(1);
      expect(await message(page, "Back again").count()).toBe(1);
      await see(page.getByRole("log").getByRole("img", { name: "noise.png", exact: true }));
    }
    // The app itself needs no inline script or style: nothing the CSP refused so far.
    expect(problems).toEqual([]);
  }, 120_000);

  it("renders HTML and javascript: links inert", async () => {
    const typed = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><a href="javascript:window.__xss=3">click me</a>`;
    await alice.getByLabel("Message").fill(typed);
    await alice.getByRole("button", { name: "Send" }).click();
    await see(message(bob, "click me"));

    // Formatted HTML (which the composer does not write) from Bob's second device, through the SDK.
    const sdk = createNodeClient({ baseUrl: server.url });
    await sdk.login({ username: bobName, password: PASSWORD });
    const roomId = await alice.evaluate(() => decodeURIComponent(location.hash.replace(/^#\/room\//, "")));
    await sdk.sendMessage(roomId, {
      msgtype: "m.text",
      body: "formatted",
      format: "org.matrix.custom.html",
      formatted_body:
        '<b>bold</b> <img src="x" onerror="window.__xss=4"><script>window.__xss=5</script>' +
        '<a href="javascript:window.__xss=6">js link</a> <a href="JaVaScRiPt:window.__xss=7">mixed case</a> ' +
        '<a href="https://example.org/" target="_self" onclick="window.__xss=8">safe link</a>' +
        '<iframe src="javascript:window.__xss=9"></iframe><span style="color:red" onmouseover="window.__xss=10">hover</span>',
    });
    await sdk.logout();

    // Parsing the hostile HTML makes Chromium report the inline handlers and styles its CSP refuses
    // (no request is made, nothing runs); anything else would be a problem.
    const reports = /^(alice|bob): (Executing inline event handler|Applying inline style) violates/;
    for (const page of [alice, bob]) {
      const typedMessage = await see(message(page, "click me"));
      expect(await typedMessage.textContent()).toContain("<script>window.__xss=2</script>");
      const formatted = await see(message(page, "js link"));
      await see(formatted.locator("b", { hasText: "bold" }));
      await formatted.getByText("js link").click();
      await formatted.getByText("hover").hover();
      const safe = formatted.getByRole("link", { name: "safe link" });
      expect(await safe.getAttribute("href")).toBe("https://example.org/");
      expect(await safe.getAttribute("rel")).toBe("noopener noreferrer");
      expect(await safe.getAttribute("target")).toBe("_blank");
      expect(await safe.getAttribute("onclick")).toBeNull();
      const dom = await page.evaluate(() => ({
        xss: (window as { __xss?: unknown }).__xss,
        scripts: document.querySelectorAll("#app script, #app iframe").length,
        jsLinks: [...document.querySelectorAll("a")].filter((a) =>
          /^\s*javascript:/i.test(a.getAttribute("href") ?? ""),
        ).length,
        handlers: [...document.querySelectorAll("[role=log] *")]
          .filter((el) => [...el.attributes].some((a) => a.name.startsWith("on") || a.name === "style"))
          .map((el) => el.outerHTML.slice(0, 300)),
      }));
      expect(dom).toEqual({ xss: undefined, scripts: 0, jsLinks: 0, handlers: [] });
    }
    expect(problems.filter((p) => !reports.test(p))).toEqual([]);
    problems.length = 0;
  }, 60_000);

  it("took screenshots, with no CSP violation or page error", async () => {
    await alice.screenshot({ path: join(ARTIFACTS, "alice.png") });
    await bob.screenshot({ path: join(ARTIFACTS, "bob.png") });
    await bob.getByRole("button", { name: "Settings" }).click();
    await bob.getByLabel("Dark").check();
    await bob.getByRole("button", { name: "Done" }).click();
    await bob.screenshot({ path: join(ARTIFACTS, "bob-dark.png") });
    expect(problems).toEqual([]);
  }, 30_000);
});

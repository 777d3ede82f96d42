/**
 * The harness's controllable proxy: forwards bytes, attributes each connection to the process that
 * opened it (through `/proc`), and refuses the peers it is told to block.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlledProxy, procPeerIdentifier } from "../support/tcp-proxy.js";

/** A child that connects to host:port, writes "ping" and prints what comes back (or "ERR"). */
function connector(host: string, port: number): ChildProcess {
  const script = `
    const net = require("node:net");
    process.stdin.on("data", () => {
      const s = net.connect(${port}, "${host}");
      let got = "";
      let said = false;
      const say = (line) => { if (!said) { said = true; console.log(line); } };
      s.on("data", (d) => { got += d; if (got.includes("pong")) { say("OK " + got); s.end(); } });
      s.on("error", () => say("ERR"));
      s.on("close", () => say("ERR"));
      s.write("ping");
    });`;
  return spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
}

function attempt(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.stdin!.write("go\n");
  });
}

describe("ControlledProxy", () => {
  let echo: Server;
  let proxy: ControlledProxy;
  let a: ChildProcess;
  let b: ChildProcess;

  beforeAll(async () => {
    echo = createServer((s) => s.on("data", () => s.write("pong")));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.9", r));
    const target = { host: "127.0.0.9", port: (echo.address() as { port: number }).port };
    // The identifier reads `a` and `b` on every connection, so they may be spawned afterwards.
    proxy = new ControlledProxy(
      "127.0.0.9",
      target,
      procPeerIdentifier(
        () =>
          new Map([
            ["a", a.pid],
            ["b", b.pid],
          ]),
      ),
    );
    const port = await proxy.listen();
    a = connector("127.0.0.9", port);
    b = connector("127.0.0.9", port);
  });

  afterAll(async () => {
    a.kill("SIGKILL");
    b.kill("SIGKILL");
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });

  it("forwards and attributes connections to the processes that opened them", async () => {
    expect(await attempt(a)).toBe("OK pong");
    expect(await attempt(b)).toBe("OK pong");
    expect(proxy.accepted.get("a")).toBe(1);
    expect(proxy.accepted.get("b")).toBe(1);
  });

  it("refuses a blocked peer only, until unblocked", async () => {
    proxy.block("a");
    expect(await attempt(a)).toBe("ERR");
    expect(await attempt(b)).toBe("OK pong");
    proxy.unblock("a");
    expect(await attempt(a)).toBe("OK pong");
    proxy.blockAll();
    expect(await attempt(b)).toBe("ERR");
    proxy.unblockAll();
    expect(await attempt(b)).toBe("OK pong");
  });
});

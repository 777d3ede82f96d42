// The sync engine against a scripted stream server (specs/websocket-sync.md) and a fake /versions and
// /sync: the auth frame, resuming from the last next_batch, what each close code makes it do, and the
// fallbacks to long-polling.
import type { SyncResponse } from "@hearth/federation/client";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { MatrixError } from "../errors.js";
import { HttpApi } from "../http/http-api.js";
import { nodeWebSocket } from "../node/web-socket.js";
import { SyncEngine, type SyncEngineOptions, type SyncTransport } from "./engine.js";
import { STREAM_PATH } from "./stream.js";

/** One stream connection as the scripted server sees it. */
interface Connection {
  readonly ws: WebSocket;
  readonly auth: Promise<Record<string, unknown>>;
  sync(next: string): void;
}

/** A WebSocket server at the stream path; `onConnection` scripts each connection. */
async function streamServer(path = STREAM_PATH) {
  const connections: Connection[] = [];
  const waiting: Array<(c: Connection) => void> = [];
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  wss.on("connection", (ws) => {
    const auth = new Promise<Record<string, unknown>>((resolve) =>
      ws.once("message", (data) => resolve(JSON.parse(String(data)))),
    );
    const c: Connection = {
      ws,
      auth,
      sync: (next) => ws.send(JSON.stringify({ type: "sync", data: { next_batch: next } })),
    };
    connections.push(c);
    waiting.shift()?.(c);
  });
  const port = (wss.address() as { port: number }).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections,
    /** The next connection (or one already made and not yet taken). */
    next(taken: number): Promise<Connection> {
      if (connections.length > taken) return Promise.resolve(connections[taken]!);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

/** A fake fetch: `/versions` with or without the stream, `/sync` answering `lp<n>` tokens. */
function fakeFetch(opts: { stream: boolean; syncs?: string[] }) {
  let n = 0;
  return async (url: string) => {
    if (url.includes("/versions"))
      return Response.json({
        versions: ["v1.11"],
        unstable_features: opts.stream ? { "org.hearth.ws": true } : {},
      });
    if (url.includes("/sync")) {
      opts.syncs?.push(new URL(url).searchParams.get("since") ?? "");
      await new Promise((r) => setTimeout(r, 10));
      return Response.json({ next_batch: `lp${++n}` });
    }
    return Response.json({ errcode: "M_UNRECOGNIZED", error: "no" }, { status: 404 });
  };
}

/** An engine whose callbacks record what happened. */
function engine(
  baseUrl: string,
  fetch: (url: string) => Promise<Response>,
  extra: Partial<SyncEngineOptions> = {},
) {
  const log = {
    responses: [] as Array<[string, SyncTransport]>,
    transports: [] as SyncTransport[],
    online: [] as boolean[],
    fatal: [] as MatrixError[],
  };
  let since: string | undefined;
  const e = new SyncEngine({
    http: new HttpApi({ baseUrl, fetch }),
    accessToken: () => "tok",
    since: () => since,
    onResponse: (r: SyncResponse, t) => {
      since = r.next_batch;
      log.responses.push([r.next_batch, t]);
    },
    onOnline: (o) => log.online.push(o),
    onTransport: (t) => log.transports.push(t),
    onFatal: (err) => log.fatal.push(err),
    webSocket: nodeWebSocket(),
    backoff: { initialMs: 20, maxMs: 100 },
    filter: { room: { timeline: { limit: 5 } } },
    ...extra,
  });
  return { e, log };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("SyncEngine", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("authenticates with the first frame and resumes at once after 4000 from the last next_batch", async () => {
    const server = await streamServer();
    cleanups.push(server.close);
    const { e, log } = engine(server.baseUrl, fakeFetch({ stream: true }), {
      backoff: { initialMs: 10_000 },
    });
    e.start();
    cleanups.push(() => e.stop());
    const first = await server.next(0);
    expect(await first.auth).toEqual({
      type: "auth",
      access_token: "tok",
      filter: { room: { timeline: { limit: 5 } } },
    });
    first.sync("s1");
    first.sync("s2");
    await until(() => log.responses.length === 2, "two frames");
    first.ws.close(4000, "resume");
    const started = Date.now();
    const second = await server.next(1);
    expect((await second.auth).since).toBe("s2");
    // "Reconnect at once": well under the 10 s backoff.
    expect(Date.now() - started).toBeLessThan(2_000);
    second.sync("s3");
    await until(() => log.responses.length === 3, "third frame");
    expect(log.responses).toEqual([
      ["s1", "websocket"],
      ["s2", "websocket"],
      ["s3", "websocket"],
    ]);
    expect(log.transports).toEqual(["websocket"]);
    expect(e.transport).toBe("websocket");
  });

  it("reconnects with backoff after the connection drops, from the last next_batch", async () => {
    const server = await streamServer();
    cleanups.push(server.close);
    const { e, log } = engine(server.baseUrl, fakeFetch({ stream: true }));
    e.start();
    cleanups.push(() => e.stop());
    const first = await server.next(0);
    await first.auth;
    first.sync("s1");
    await until(() => log.responses.length === 1, "first frame");
    first.ws.terminate();
    const second = await server.next(1);
    expect((await second.auth).since).toBe("s1");
    second.sync("s2");
    await until(() => log.responses.length === 2, "resumed");
    expect(log.online).toEqual([true]);
  });

  it("stops with the error frame's MatrixError on 4401", async () => {
    const server = await streamServer();
    cleanups.push(server.close);
    const { e, log } = engine(server.baseUrl, fakeFetch({ stream: true }));
    e.start();
    cleanups.push(() => e.stop());
    const c = await server.next(0);
    await c.auth;
    c.ws.send(
      JSON.stringify({
        type: "error",
        errcode: "M_UNKNOWN_TOKEN",
        error: "Unknown token",
        soft_logout: false,
      }),
    );
    c.ws.close(4401);
    await until(() => log.fatal.length === 1, "fatal");
    expect(log.fatal[0]).toBeInstanceOf(MatrixError);
    expect(log.fatal[0]!.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(log.fatal[0]!.extra.soft_logout).toBe(false);
    await until(() => !e.running, "stopped");
    expect(server.connections).toHaveLength(1);
  });

  it("waits retry_after_ms on 4429", async () => {
    const server = await streamServer();
    cleanups.push(server.close);
    const { e } = engine(server.baseUrl, fakeFetch({ stream: true }));
    e.start();
    cleanups.push(() => e.stop());
    const c = await server.next(0);
    await c.auth;
    c.ws.send(
      JSON.stringify({ type: "error", errcode: "M_LIMIT_EXCEEDED", error: "slow down", retry_after_ms: 300 }),
    );
    c.ws.close(4429);
    const closedAt = Date.now();
    await server.next(1);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(280);
  });

  it("long-polls when /versions does not advertise the stream", async () => {
    const syncs: string[] = [];
    const server = await streamServer();
    cleanups.push(server.close);
    const { e, log } = engine(server.baseUrl, fakeFetch({ stream: false, syncs }));
    e.start();
    cleanups.push(() => e.stop());
    await until(() => log.responses.length >= 3, "three polls");
    expect(log.transports).toEqual(["long-poll"]);
    expect(server.connections).toHaveLength(0);
    // Each poll resumes from the previous response.
    expect(syncs.slice(0, 3)).toEqual(["", "lp1", "lp2"]);
  });

  it("falls back to long-polling when the upgrade keeps failing although /versions offers the stream", async () => {
    const server = await streamServer("/somewhere/else");
    cleanups.push(server.close);
    const { e, log } = engine(server.baseUrl, fakeFetch({ stream: true }));
    e.start();
    cleanups.push(() => e.stop());
    await until(() => log.responses.length >= 1, "a poll");
    expect(log.transports).toEqual(["websocket", "long-poll"]);
    expect(log.responses[0]).toEqual(["lp1", "long-poll"]);
  });

  it("goes offline when nothing answers, and back online when the server returns", async () => {
    let up = false;
    const base = fakeFetch({ stream: false });
    const { e, log } = engine("http://127.0.0.1:9", async (url) => {
      if (!up) throw new TypeError("fetch failed");
      return base(url);
    });
    e.start();
    cleanups.push(() => e.stop());
    await until(() => log.online.includes(false), "offline");
    up = true;
    await until(() => log.online.at(-1) === true, "online");
    expect(log.online).toEqual([false, true]);
  });
});

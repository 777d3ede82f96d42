import { clientApi, MatrixError } from "@hearth/federation/client";
import { describe, expect, it } from "vitest";
import { ConnectionError } from "../errors.js";
import { errorFromResponse, HttpApi, withQuery } from "./http-api.js";

/** A fetch that answers from a list and records the requests. */
function scripted(responses: Array<() => Response | Promise<Response>>) {
  const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = async (url: string, init?: RequestInit) => {
    requests.push({ url, init });
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    return next();
  };
  return { fetch, requests };
}

describe("HttpApi", () => {
  it("fills the descriptor's path, query and body, with the access token", async () => {
    const { fetch, requests } = scripted([() => Response.json({ event_id: "$e" })]);
    const api = new HttpApi({ baseUrl: "http://hs/", fetch, accessToken: () => "tok" });
    const res = await api.call(clientApi.sendMessage, {
      params: { roomId: "!r:x", eventType: "m.room.message", txnId: "t/1" },
      body: { body: "hi" },
    });
    expect(res.event_id).toBe("$e");
    expect(requests[0]!.url).toBe("http://hs/_matrix/client/v3/rooms/!r%3Ax/send/m.room.message/t%2F1");
    expect(requests[0]!.init!.method).toBe("PUT");
    expect((requests[0]!.init!.headers as Record<string, string>).authorization).toBe("Bearer tok");
    expect(requests[0]!.init!.body).toBe('{"body":"hi"}');
  });

  it("sends no token to endpoints without authentication", async () => {
    const { fetch, requests } = scripted([() => Response.json({ flows: [] })]);
    await new HttpApi({ baseUrl: "http://hs", fetch, accessToken: () => "tok" }).call(
      clientApi.getLoginFlows,
      {},
    );
    expect((requests[0]!.init!.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it("encodes queries: undefined skipped, arrays repeated, objects as JSON", () => {
    expect(withQuery("/p", { a: 1, b: undefined, via: ["x", "y"], f: { l: 1 }, t: true })).toBe(
      "/p?a=1&via=x&via=y&f=%7B%22l%22%3A1%7D&t=true",
    );
    expect(withQuery("/p", {})).toBe("/p");
  });

  it("turns error responses into MatrixError with status and extra fields", async () => {
    const { fetch } = scripted([
      () => Response.json({ errcode: "M_FORBIDDEN", error: "no", extra: 1 }, { status: 403 }),
    ]);
    const err = await new HttpApi({ baseUrl: "http://hs", fetch })
      .call(clientApi.joinRoom, { params: { roomIdOrAlias: "#a:x" }, body: {} })
      .catch((e) => e);
    expect(err).toBeInstanceOf(MatrixError);
    expect(err).toMatchObject({ errcode: "M_FORBIDDEN", message: "no", status: 403, extra: { extra: 1 } });
    expect(errorFromResponse(502, "<html>bad gateway</html>")).toMatchObject({
      errcode: "M_UNKNOWN",
      status: 502,
    });
    expect(errorFromResponse(429, "{}", "2").extra.retry_after_ms).toBe(2000);
  });

  it("retries M_LIMIT_EXCEEDED after retry_after_ms, a bounded number of times", async () => {
    const limited = () =>
      Response.json({ errcode: "M_LIMIT_EXCEEDED", error: "slow", retry_after_ms: 30 }, { status: 429 });
    const ok = scripted([limited, limited, () => Response.json({ event_id: "$e" })]);
    const started = Date.now();
    const api = new HttpApi({ baseUrl: "http://hs", fetch: ok.fetch, rateLimit: { maxRetries: 2 } });
    const send = { params: { roomId: "!r:x", eventType: "m.room.message", txnId: "t" }, body: {} };
    expect((await api.call(clientApi.sendMessage, send)).event_id).toBe("$e");
    expect(ok.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);

    const never = scripted([limited, limited, limited, limited]);
    const api2 = new HttpApi({ baseUrl: "http://hs", fetch: never.fetch, rateLimit: { maxRetries: 2 } });
    const err = await api2.call(clientApi.sendMessage, send).catch((e) => e);
    expect(err).toMatchObject({ errcode: "M_LIMIT_EXCEEDED", status: 429 });
    expect(never.requests).toHaveLength(3);

    // A wait beyond the policy's maximum fails at once.
    const long = scripted([
      () => Response.json({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 10_000 }, { status: 429 }),
    ]);
    const api3 = new HttpApi({ baseUrl: "http://hs", fetch: long.fetch, rateLimit: { maxWaitMs: 1000 } });
    await expect(api3.call(clientApi.sendMessage, send)).rejects.toMatchObject({
      errcode: "M_LIMIT_EXCEEDED",
    });
    expect(long.requests).toHaveLength(1);
  });

  it("reports network failures and timeouts as ConnectionError", async () => {
    const down = new HttpApi({
      baseUrl: "http://hs",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(down.call(clientApi.getVersions, {})).rejects.toBeInstanceOf(ConnectionError);
    const slow = new HttpApi({
      baseUrl: "http://hs",
      requestTimeoutMs: 20,
      fetch: (_url, init) =>
        new Promise((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
        ),
    });
    await expect(slow.call(clientApi.getVersions, {})).rejects.toThrow(/no response in 20 ms/);
  });

  it("tries a GET or PUT once more when the connection fails, never a POST", async () => {
    let calls = 0;
    const flaky = async () => {
      if (calls++ % 2 === 0) throw new TypeError("fetch failed: other side closed");
      return Response.json({ versions: [], room_id: "!r:x" });
    };
    const api = new HttpApi({ baseUrl: "http://hs", fetch: flaky });
    await api.call(clientApi.getVersions, {});
    expect(calls).toBe(2);
    calls = 0;
    await expect(api.call(clientApi.createRoom, { body: {} })).rejects.toBeInstanceOf(ConnectionError);
    expect(calls).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { MemoryStore } from "./store/store.js";

/** A client with a session whose fetch answers `{}` (or `answer`) and records the requests. */
function recording(answer: unknown = {}) {
  const requests: Array<{ url: string; method: string | undefined; body: unknown }> = [];
  const client = createClient({
    baseUrl: "http://hs",
    session: { userId: "@me:x", deviceId: "D", accessToken: "tok" },
    webSocket: null,
    fetch: async (url, init) => {
      requests.push({
        url,
        method: init?.method,
        body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      });
      return Response.json(answer);
    },
  });
  return { client, requests };
}

describe("MatrixClient moderation and directory calls", () => {
  it("kicks, bans and unbans through the membership endpoints", async () => {
    const { client, requests } = recording();
    await client.kick("!r:x", "@a:x", "spam");
    await client.ban("!r:x", "@a:x");
    await client.unban("!r:x", "@a:x");
    expect(requests).toEqual([
      {
        url: "http://hs/_matrix/client/v3/rooms/!r%3Ax/kick",
        method: "POST",
        body: { user_id: "@a:x", reason: "spam" },
      },
      { url: "http://hs/_matrix/client/v3/rooms/!r%3Ax/ban", method: "POST", body: { user_id: "@a:x" } },
      { url: "http://hs/_matrix/client/v3/rooms/!r%3Ax/unban", method: "POST", body: { user_id: "@a:x" } },
    ]);
  });

  it("queries the public room directory with a search term", async () => {
    const page = { chunk: [{ room_id: "!r:x", name: "Lobby", num_joined_members: 3 }], next_batch: "n" };
    const { client, requests } = recording(page);
    expect(await client.publicRooms({ limit: 20, search: "lob", since: "p" })).toEqual(page);
    await client.publicRooms({ server: "other.example" });
    expect(requests).toEqual([
      {
        url: "http://hs/_matrix/client/v3/publicRooms",
        method: "POST",
        body: { limit: 20, since: "p", filter: { generic_search_term: "lob" } },
      },
      { url: "http://hs/_matrix/client/v3/publicRooms?server=other.example", method: "POST", body: {} },
    ]);
  });
});

describe("MatrixClient.restoreSession", () => {
  it("takes the session a login saved in the store, without syncing", async () => {
    const store = new MemoryStore();
    const session = { userId: "@me:x", deviceId: "D", accessToken: "tok" };
    const first = createClient({
      baseUrl: "http://hs",
      store,
      webSocket: null,
      fetch: async () => Response.json({ user_id: "@me:x", device_id: "D", access_token: "tok" }),
    });
    await first.login({ username: "me", password: "pw" });
    const requests: string[] = [];
    const second = createClient({
      baseUrl: "http://hs",
      store,
      webSocket: null,
      fetch: async (url) => {
        requests.push(url);
        return Response.json({});
      },
    });
    expect(await second.restoreSession()).toEqual(session);
    expect(second.userId).toBe("@me:x");
    expect(requests).toEqual([]);
    expect(
      await createClient({ baseUrl: "http://hs", store: new MemoryStore() }).restoreSession(),
    ).toBeUndefined();
  });
});

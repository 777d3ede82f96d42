// The content repository through HTTP ("Content repository").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let alice: Client & { userId: string; deviceId: string };
let bob: Client & { userId: string; deviceId: string };
const MAX = 4096;

beforeAll(async () => {
  server = await startTestServer({ max_upload_bytes: MAX });
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
});
afterAll(async () => {
  await server.destroy();
});

function raw(
  client: Client | undefined,
  method: string,
  path: string,
  body?: Uint8Array | string,
  contentType?: string,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (client?.accessToken) headers.authorization = `Bearer ${client.accessToken}`;
  if (contentType) headers["content-type"] = contentType;
  return fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

/** `mxc://server/id` → [server, id]. */
function parts(mxc: string): [string, string] {
  const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc);
  if (!m) throw new Error(`not an mxc URI: ${mxc}`);
  return [m[1]!, m[2]!];
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

describe("media", () => {
  it("uploads and downloads, with the spec's headers, through the authenticated and legacy endpoints", async () => {
    const up = await raw(alice, "POST", "/_matrix/media/v3/upload?filename=cat%20pic.png", PNG, "image/png");
    expect(up.status).toBe(200);
    const { content_uri } = (await up.json()) as { content_uri: string };
    const [origin, id] = parts(content_uri);
    expect(origin).toBe(server.config.serverName);

    const authed = await raw(bob, "GET", `/_matrix/client/v1/media/download/${origin}/${id}`);
    expect(authed.status).toBe(200);
    expect(new Uint8Array(await authed.arrayBuffer())).toEqual(PNG);
    expect(authed.headers.get("content-type")).toBe("image/png");
    expect(authed.headers.get("content-disposition")).toBe("inline; filename*=utf-8''cat%20pic.png");
    expect(authed.headers.get("content-security-policy")).toContain("sandbox");
    expect(authed.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    // The authenticated endpoint needs a token; the deprecated one does not.
    expect((await raw(undefined, "GET", `/_matrix/client/v1/media/download/${origin}/${id}`)).status).toBe(
      401,
    );
    const legacy = await raw(undefined, "GET", `/_matrix/media/v3/download/${origin}/${id}/other.png`);
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get("content-disposition")).toBe("inline; filename*=utf-8''other.png");
    // An image is its own thumbnail (no image processing yet).
    const thumb = await raw(
      bob,
      "GET",
      `/_matrix/client/v1/media/thumbnail/${origin}/${id}?width=32&height=32&method=scale`,
    );
    expect(thumb.status).toBe(200);
    expect(new Uint8Array(await thumb.arrayBuffer())).toEqual(PNG);
  });

  it("serves risky types as attachments, and refuses unknown media and oversized uploads", async () => {
    const up = await raw(alice, "POST", "/_matrix/media/v3/upload", "<script>alert(1)</script>", "text/html");
    const [origin, id] = parts(((await up.json()) as { content_uri: string }).content_uri);
    const html = await raw(bob, "GET", `/_matrix/client/v1/media/download/${origin}/${id}`);
    expect(html.headers.get("content-disposition")).toBe("attachment");
    const thumb = await raw(
      bob,
      "GET",
      `/_matrix/client/v1/media/thumbnail/${origin}/${id}?width=1&height=1`,
    );
    expect(thumb.status).toBe(404);

    const missing = await raw(bob, "GET", `/_matrix/client/v1/media/download/${origin}/nosuchmedia`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errcode: string }).errcode).toBe("M_NOT_FOUND");
    const big = await raw(
      alice,
      "POST",
      "/_matrix/media/v3/upload",
      new Uint8Array(MAX + 1),
      "application/octet-stream",
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errcode: string }).errcode).toBe("M_TOO_LARGE");
    const config = await bob.get("/_matrix/client/v1/media/config");
    expect(config.body).toEqual({ "m.upload.size": MAX });
    expect((await raw(undefined, "POST", "/_matrix/media/v3/upload", PNG, "image/png")).status).toBe(401);
  });

  it("reserves a media ID with /create and takes its upload once, from its owner only", async () => {
    const created = await alice.post("/_matrix/media/v1/create", {});
    expect(created.status).toBe(200);
    expect(created.body.unused_expires_at).toBeGreaterThan(Date.now());
    const [origin, id] = parts(created.body.content_uri as string);
    const early = await raw(bob, "GET", `/_matrix/client/v1/media/download/${origin}/${id}?timeout_ms=100`);
    expect(early.status).toBe(504);
    expect(((await early.json()) as { errcode: string }).errcode).toBe("M_NOT_YET_UPLOADED");
    // A download waiting for the upload gets it once it arrives.
    const waiting = raw(bob, "GET", `/_matrix/client/v1/media/download/${origin}/${id}?timeout_ms=5000`);
    const byBob = await raw(bob, "PUT", `/_matrix/media/v3/upload/${origin}/${id}`, PNG, "image/png");
    expect(byBob.status).toBe(403);
    const byAlice = await raw(alice, "PUT", `/_matrix/media/v3/upload/${origin}/${id}`, PNG, "image/png");
    expect(byAlice.status).toBe(200);
    const again = await raw(alice, "PUT", `/_matrix/media/v3/upload/${origin}/${id}`, PNG, "image/png");
    expect(again.status).toBe(409);
    expect(((await again.json()) as { errcode: string }).errcode).toBe("M_CANNOT_OVERWRITE_MEDIA");
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG);
  });
});

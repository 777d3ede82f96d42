// Delivery to an HTTPS push gateway whose certificate the operator's CA (federation_ca) issued, and
// retries of a gateway that fails (Push Gateway API, "Homeserver behaviour").
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeafCertificate, createTestCa } from "../../../federation/tls.js";
import { type Client, registerUser, startTestServer, type TestServer } from "../../../testing/harness.js";

let server: TestServer;
let gateway: Server;
let gatewayUrl: string;
let caDir: string;
/** Every request the gateway got: the event ID and the status it answered. */
const requests: Array<{ eventId: string; status: number }> = [];
/** The gateway answers 500 to this many requests before answering 200 again. */
let failNext = 0;
let alice: Client & { userId: string };
let bob: Client & { userId: string };
let roomId: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  const ca = createTestCa("Push test CA");
  const leaf = createLeafCertificate(ca, ["127.0.0.1"]);
  caDir = await mkdtemp(join(tmpdir(), "hearth-push-ca-"));
  await writeFile(join(caDir, "ca.pem"), ca.cert);
  gateway = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const status = failNext > 0 ? 500 : 200;
      if (failNext > 0) failNext--;
      requests.push({ eventId: JSON.parse(body).notification.event_id, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(status === 200 ? { rejected: [] } : { errcode: "M_UNKNOWN", error: "down" }));
    });
  });
  await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
  gatewayUrl = `https://127.0.0.1:${(gateway.address() as { port: number }).port}/_matrix/push/v1/notify`;
  server = await startTestServer({ federation_ca: join(caDir, "ca.pem") });
  alice = await registerUser(server, "alice");
  bob = await registerUser(server, "bob");
  roomId = (await alice.post("/_matrix/client/v3/createRoom", { preset: "trusted_private_chat" })).body
    .room_id;
  await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
  await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`);
  const set = await alice.post("/_matrix/client/v3/pushers/set", {
    pushkey: "phone",
    kind: "http",
    app_id: "org.example.app",
    app_display_name: "Example",
    device_display_name: "Phone",
    lang: "en",
    data: { url: gatewayUrl },
  });
  expect(set.status).toBe(200);
});
afterAll(async () => {
  await server.destroy();
  gateway.closeAllConnections();
  await new Promise((r) => gateway.close(r));
  await rm(caDir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function send(txn: string): Promise<string> {
  const res = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
    msgtype: "m.text",
    body: txn,
  });
  return res.body.event_id as string;
}

describe("push delivery", () => {
  it("reaches an HTTPS gateway whose certificate the configured CA issued", async () => {
    const eventId = await send("hello");
    await until(() => requests.some((r) => r.eventId === eventId && r.status === 200), "the notification");
    expect(requests.filter((r) => r.eventId === eventId)).toEqual([{ eventId, status: 200 }]);
  });

  it("retries a failing gateway with backoff until it answers, then sends the rest in order", async () => {
    failNext = 2;
    const first = await send("retried");
    const second = await send("queued");
    await until(() => requests.some((r) => r.eventId === second), "both notifications");
    const mine = requests.filter((r) => r.eventId === first || r.eventId === second);
    // Two failures of the first (retried after 0.5 s, then 1 s), its delivery, then the second.
    expect(mine).toEqual([
      { eventId: first, status: 500 },
      { eventId: first, status: 500 },
      { eventId: first, status: 200 },
      { eventId: second, status: 200 },
    ]);
  });
});

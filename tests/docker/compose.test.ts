/**
 * Scenario 1 of the federation issue against the compose cluster (`docker/compose.yaml`): the image
 * built from `docker/Dockerfile`, the `certs` init service, three servers `hs1:8448`, `hs2:8448`,
 * `hs3:8448` resolving each other through compose's DNS and verifying each other's certificates
 * against the generated CA. Same steps and bounds as `tests/federation/scenario-1.test.ts`, which
 * runs them on loopback processes.
 *
 * Needs a Docker engine (testcontainers 11.14.0 with `docker compose`). Without one,
 * `getContainerRuntimeClient()` rejects within milliseconds and the suite is skipped, saying so once.
 * The first run builds the image (a few minutes); the cluster is removed (`down -v`) afterwards.
 *
 * `HEARTH_COMPOSE_URLS=<hs1 url>,<hs2 url>,<hs3 url>` runs the same test against a cluster that is
 * already up (`docker compose -f docker/compose.yaml up`, or three processes started with the
 * compose file's environment and `hs1`…`hs3` in /etc/hosts), without testcontainers. Its users
 * `alice`, `bob` and `carol` must not exist yet.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  type StartedDockerComposeEnvironment,
  Wait,
} from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../federation/harness.js";
import {
  allMessages,
  createRoom,
  expectStatus,
  register,
  sendText,
  type UserClient,
} from "../support/matrix.js";
import { REPO_ROOT } from "../support/process.js";

/** How soon every server must show a message (the bound). */
const DELIVERY_MS = 1_000;
const SERVICES = ["hs1", "hs2", "hs3"] as const;

/** Client API URLs of a running cluster, when given. */
const external = process.env.HEARTH_COMPOSE_URLS?.split(",").map((u) => u.trim());

const docker =
  external !== undefined ||
  (await getContainerRuntimeClient().then(
    () => true,
    (e: Error) => {
      console.warn(
        `tests/docker/compose.test.ts: SKIPPED, no container runtime (${e.message}). ` +
          "Start a Docker engine to run scenario 1 against docker/compose.yaml.",
      );
      return false;
    },
  ));

/** A free TCP port on 127.0.0.1, for the published client ports (so a running dev cluster does not clash). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!docker)("docker compose: scenario 1 across hs1, hs2, hs3", () => {
  let env: StartedDockerComposeEnvironment | undefined;
  const urls = new Map<string, string>();

  beforeAll(async () => {
    if (external) {
      SERVICES.forEach((s, i) => {
        urls.set(s, external[i]!);
      });
      return;
    }
    const ports = await Promise.all(SERVICES.map(() => freePort()));
    let compose = new DockerComposeEnvironment(join(REPO_ROOT, "docker"), "compose.yaml")
      .withBuild()
      .withEnvironment({
        HEARTH_HS1_PORT: String(ports[0]),
        HEARTH_HS2_PORT: String(ports[1]),
        HEARTH_HS3_PORT: String(ports[2]),
        HEARTH_RATE_LIMITS: "off",
        HEARTH_LOG_LEVEL: "warn",
      })
      .withStartupTimeout(180_000);
    for (const s of SERVICES) compose = compose.withWaitStrategy(`${s}-1`, Wait.forHealthCheck());
    env = await compose.up();
    SERVICES.forEach((s, i) => {
      urls.set(s, `http://127.0.0.1:${ports[i]}`);
    });
  }, 900_000);

  afterAll(async () => {
    await env?.down({ removeVolumes: true, timeout: 20_000 });
  }, 120_000);

  it("joins by alias and by room ID via another server; everyone sees every message in one order", async () => {
    const password = "correct horse battery staple";
    const alice = await register(urls.get("hs1")!, "alice", password);
    const bob = await register(urls.get("hs2")!, "bob", password);
    const carol = await register(urls.get("hs3")!, "carol", password);
    expect(alice.userId).toBe("@alice:hs1:8448");

    const roomId = await createRoom(alice, {
      preset: "public_chat",
      visibility: "public",
      room_alias_name: "lobby",
      name: "Lobby",
    });
    const alias = "#lobby:hs1:8448";
    const byAlias = expectStatus(
      "bob joins by alias",
      await bob.post(`/_matrix/client/v3/join/${encodeURIComponent(alias)}`, {}),
    );
    expect(byAlias.room_id).toBe(roomId);
    const viaHs2 = expectStatus(
      "carol joins via hs2",
      await carol.post(
        `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent("hs2:8448")}`,
        {},
      ),
    );
    expect(viaHs2.room_id).toBe(roomId);

    const clients: UserClient[] = [alice, bob, carol];
    const everyone = clients.map((c) => c.userId).sort();
    for (const c of clients) {
      await eventually(
        `${c.userId}'s server to see all three members joined`,
        async () => {
          const res = await c.get<{ joined: Record<string, unknown> }>(
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
          );
          return (
            res.status === 200 &&
            JSON.stringify(Object.keys(res.body.joined).sort()) === JSON.stringify(everyone)
          );
        },
        10_000,
      );
    }

    const sent: string[] = [];
    for (const [i, c] of clients.entries()) {
      const body = `hello from ${c.userId}`;
      const started = Date.now();
      const eventId = await sendText(c, roomId, body, `compose-scenario-1-${i}`);
      sent.push(eventId);
      const latencies = await Promise.all(
        clients.map(async (reader) => {
          await eventually(
            `${reader.userId} to see ${eventId}`,
            async () => (await allMessages(reader, roomId)).some((e) => e.event_id === eventId),
            DELIVERY_MS * 5,
            20,
          );
          return Date.now() - started;
        }),
      );
      expect(Math.max(...latencies), `delivery of ${body} (ms per reader: ${latencies})`).toBeLessThanOrEqual(
        DELIVERY_MS,
      );
    }
    const orders = await Promise.all(
      clients.map(async (c) => (await allMessages(c, roomId)).map((e) => e.event_id)),
    );
    for (const order of orders) expect(order).toEqual(sent);
  }, 120_000);
});

/**
 * The compose cluster (`docker/compose.yaml`): the image built from `docker/Dockerfile`, the `certs`
 * init service, three servers `hs1:8448`, `hs2:8448`, `hs3:8448` resolving each other through
 * compose's DNS, verifying each other's certificates against the generated CA, and gossiping
 * (`gossip: preferred`, libp2p on port 9000 of each).
 *
 * 1. Federation scenario 1: same steps and bounds as `tests/federation/scenario-1.test.ts`, which runs
 *    them on loopback processes.
 * 2. Relay across a cut link, as `tests/gossip/line.test.ts` does with processes: a room on hs2, users
 *    of hs1 and hs3 joined through hs2; then hs1 is disconnected from the `hs1-hs3` network, so that
 *    hs1 and hs3 can neither resolve nor reach each other (checked from inside both containers, for
 *    8448 and 9000 on every address the other has) while both reach hs2; a message from hs1's user
 *    reaches hs3's user within {@link RELAY_MS} and one from hs3's user reaches hs1's, relayed by hs2
 *    over gossip (in `preferred` mode nobody sends them over HTTP). The link is restored afterwards.
 *    The cut goes through the Docker engine API (testcontainers' client), not the docker CLI.
 *
 * Needs a Docker engine (testcontainers 11.14.0 with `docker compose`). Without one,
 * `getContainerRuntimeClient()` rejects within milliseconds and the suite is skipped, saying so once.
 * The first run builds the image (a few minutes); the cluster is removed (`down -v`) afterwards.
 *
 * `HEARTH_COMPOSE_URLS=<hs1 url>,<hs2 url>,<hs3 url>` runs the same tests against a cluster that is
 * already up (`docker compose -f docker/compose.yaml up`, or three processes started with the
 * compose file's environment and `hs1`…`hs3` in /etc/hosts), without testcontainers. Its users
 * `alice`, `bob`, `carol`, `dave`, `erin` and `frank` must not exist yet. The cut test finds the
 * containers by their compose service label and published port; it is skipped, saying why, when no
 * Docker engine answers or the servers are not such containers.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import {
  type ContainerRuntimeClient,
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  type StartedDockerComposeEnvironment,
  Wait,
} from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../federation/harness.js";
import { waitForMembers } from "../federation/scenario-helpers.js";
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
/** How soon a message must cross the cut link by relay (the process-based line test allows 2 s). */
const RELAY_MS = 5_000;
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

describe.skipIf(!docker)("docker compose: hs1, hs2, hs3", () => {
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

  it("relays a message over gossip between hs1 and hs3 once the link between them is cut", async (ctx) => {
    const links = await findLinks(urls);
    if (typeof links === "string") {
      console.warn(`tests/docker/compose.test.ts: cut test SKIPPED, ${links}`);
      return ctx.skip(links);
    }
    const password = "correct horse battery staple";
    const dave = await register(urls.get("hs1")!, "dave", password);
    const erin = await register(urls.get("hs2")!, "erin", password);
    const frank = await register(urls.get("hs3")!, "frank", password);
    const roomId = await createRoom(erin, { preset: "public_chat", name: "Line" });
    for (const u of [dave, frank]) {
      expectStatus(
        `${u.userId} joins via hs2`,
        await u.post(
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent("hs2:8448")}`,
          {},
        ),
      );
    }
    await waitForMembers([dave, erin, frank], roomId, [dave.userId, erin.userId, frank.userId]);
    const sees = (reader: UserClient, eventId: string) => async () =>
      (await allMessages(reader, roomId)).some((e) => e.event_id === eventId);
    // Before the cut: the link works, and every server is in the room's gossip mesh.
    const before = await sendText(dave, roomId, "before the cut", "compose-line-0");
    await eventually("frank to see dave's message before the cut", sees(frank, before), 10_000, 50);

    await links.cut();
    try {
      await links.expectCut();
      for (const [i, [from, to, body]] of (
        [
          [dave, frank, "from hs1 across the cut"],
          [frank, dave, "from hs3 across the cut"],
        ] as const
      ).entries()) {
        const started = Date.now();
        const eventId = await sendText(from, roomId, body, `compose-line-${i + 1}`);
        await eventually(`${to.userId} to see "${body}" (relayed by hs2)`, sees(to, eventId), RELAY_MS, 50);
        console.log(`compose relay: "${body}" seen by ${to.userId} after ${Date.now() - started} ms`);
        await eventually(`${erin.userId} to see "${body}"`, sees(erin, eventId), RELAY_MS, 50);
      }
    } finally {
      await links.heal();
    }
    await links.expectHealed();
  }, 120_000);
});

/** A container of the cluster, as the engine API describes it. */
interface ServiceContainer {
  readonly id: string;
  readonly name: string;
  /** Network name → its ID, this container's address and aliases on it. */
  readonly networks: Record<string, { NetworkID: string; IPAddress: string; Aliases?: string[] | null }>;
}

/** Cuts and restores the hs1–hs3 link of a running compose cluster, through the Docker engine API. */
interface Links {
  cut(): Promise<void>;
  heal(): Promise<void>;
  /** Checks from inside hs1 and hs3 that neither resolves nor reaches the other, and both reach hs2. */
  expectCut(): Promise<void>;
  /** Checks that hs1 resolves and reaches hs3 again, and the other way round. */
  expectHealed(): Promise<void>;
}

/**
 * Finds the cluster's containers (compose service label `hs1`…`hs3`, publishing the port of the
 * client URL given for it) and the network that joins hs1 and hs3 but not hs2. Answers why not when
 * it cannot.
 */
async function findLinks(urls: ReadonlyMap<string, string>): Promise<Links | string> {
  let client: ContainerRuntimeClient;
  try {
    client = await getContainerRuntimeClient();
  } catch (e) {
    return `no Docker engine answers (${(e as Error).message}); cutting the hs1–hs3 link needs one`;
  }
  const listed = await client.container.list();
  const found = new Map<string, ServiceContainer>();
  for (const s of SERVICES) {
    const port = Number(new URL(urls.get(s)!).port);
    const info = listed.find(
      (c) => c.Labels["com.docker.compose.service"] === s && c.Ports.some((p) => p.PublicPort === port),
    );
    if (!info) {
      return `no running container of compose service ${s} publishes port ${port} (${urls.get(s)})`;
    }
    const inspected = await client.container.inspect(client.container.getById(info.Id));
    found.set(s, {
      id: info.Id,
      name: inspected.Name.replace(/^\//, ""),
      networks: inspected.NetworkSettings.Networks as ServiceContainer["networks"],
    });
  }
  const [hs1, hs2, hs3] = SERVICES.map((s) => found.get(s)!) as [
    ServiceContainer,
    ServiceContainer,
    ServiceContainer,
  ];
  const shared = Object.keys(hs1.networks).filter((n) => n in hs3.networks && !(n in hs2.networks));
  if (shared.length !== 1) {
    return `expected exactly one network joining ${hs1.name} and ${hs3.name} but not ${hs2.name}, found [${shared.join(", ")}] (is docker/compose.yaml up to date?)`;
  }
  const link = shared[0]!;
  const linkId = hs1.networks[link]!.NetworkID;
  // Compose's aliases on the link (the service name), without the container ID the engine adds itself.
  const aliases = (hs1.networks[link]!.Aliases ?? []).filter((a) => !hs1.id.startsWith(a));
  const addresses = (c: ServiceContainer) => Object.values(c.networks).map((n) => n.IPAddress);
  const hs3Addresses = addresses(hs3);
  const hs1Addresses = addresses(hs1);

  /** Runs {@link PROBE} inside a container. */
  const probe = async (c: ServiceContainer, names: string[], targets: [string, number][]) => {
    const result = await client.container.exec(client.container.getById(c.id), [
      "node",
      "-e",
      PROBE,
      JSON.stringify([names, targets]),
    ]);
    if (result.exitCode !== 0) throw new Error(`probe in ${c.name} failed: ${result.output}`);
    return JSON.parse(result.stdout) as { resolves: Record<string, boolean>; open: Record<string, boolean> };
  };
  const ports = (hosts: string[]) =>
    hosts.flatMap((h): [string, number][] => [
      [h, 8448],
      [h, 9000],
    ]);

  return {
    async cut() {
      await client.network.getById(linkId).disconnect({ Container: hs1.id });
    },
    async heal() {
      await client.container.connectToNetwork(
        client.container.getById(hs1.id),
        client.network.getById(linkId),
        aliases,
      );
    },
    async expectCut() {
      for (const [from, other, otherAddresses] of [
        [hs1, "hs3", hs3Addresses],
        [hs3, "hs1", hs1Addresses],
      ] as const) {
        const seen = await probe(from, [other, "hs2"], ports([other, ...otherAddresses, "hs2"]));
        const expected = {
          resolves: { [other]: false, hs2: true },
          open: Object.fromEntries(
            ports([other, ...otherAddresses, "hs2"]).map(([h, p]) => [`${h}:${p}`, h === "hs2"]),
          ),
        };
        expect(seen, `what ${from.name} reaches after the cut`).toEqual(expected);
      }
    },
    async expectHealed() {
      for (const [from, other] of [
        [hs1, "hs3"],
        [hs3, "hs1"],
      ] as const) {
        const seen = await probe(from, [other], ports([other]));
        expect(seen, `what ${from.name} reaches once healed`).toEqual({
          resolves: { [other]: true },
          open: { [`${other}:8448`]: true, [`${other}:9000`]: true },
        });
      }
    },
  };
}

/**
 * Run inside a container with `node -e`, argument `[names, [[host, port], …]]`: prints
 * `{"resolves": {name: bool}, "open": {"host:port": bool}}` (a TCP connection within 1.5 s).
 */
const PROBE = `
const dns = require("node:dns/promises");
const net = require("node:net");
const [names, targets] = JSON.parse(process.argv[1]);
const open = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port, timeout: 1500 });
  const done = (ok) => { socket.destroy(); resolve(ok); };
  socket.once("connect", () => done(true)).once("timeout", () => done(false)).once("error", () => done(false));
});
(async () => {
  const resolves = {};
  for (const n of names) resolves[n] = await dns.lookup(n).then(() => true, () => false);
  const results = await Promise.all(targets.map(([h, p]) => open(h, p)));
  const opened = Object.fromEntries(targets.map(([h, p], i) => [h + ":" + p, results[i]]));
  console.log(JSON.stringify({ resolves, open: opened }));
})();
`;

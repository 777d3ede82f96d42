/**
 * Multi-node smoke test: two Hearth processes on 127.0.0.34 and 127.0.0.35 whose server names are IP
 * literals with ports. Proves TLS verified against the test CA, discovery by IP literal (no
 * `.well-known`, no SRV), server key publication and verification, and X-Matrix: a request signed
 * with hs1's key is accepted by hs2 only once hs2 has fetched hs1's keys from hs1 over federation
 * (which the harness's network cut can prevent).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createFederationClient,
  createNodeTransport,
  FederationRequestError,
  FederationTransportError,
  generateSigningKey,
} from "@hearth/federation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../homeserver/src/config/config.js";
import { createOutboundFederation } from "../../homeserver/src/federation/outbound.js";
import { loadOrCreateSigningKey } from "../../homeserver/src/signing-key.js";
import { expectStatus } from "../support/matrix.js";
import { eventually, FederationCluster, type FederationNode } from "./harness.js";

describe("federation between two processes: keys, TLS, X-Matrix", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 34 });
  afterAll(() => cluster.cleanup());
  beforeAll(() => cluster.start(), 120_000);

  /** The outbound client `node` itself builds (same config and signing key), in this process. */
  /** `trustTestCa: false` leaves the test CA out (Node's default roots only). */
  async function clientOf(node: FederationNode, trustTestCa = true) {
    const config = loadConfig(undefined, {
      HEARTH_SERVER_NAME: node.name,
      HEARTH_DATA_DIR: node.dataDir,
      HEARTH_FEDERATION_VERIFY_TLS: "true",
      HEARTH_FEDERATION_ALLOW_PRIVATE: "true",
      ...(trustTestCa ? { HEARTH_FEDERATION_CA: cluster.caFile } : {}),
    });
    const signingKey = await loadOrCreateSigningKey(node.dataDir);
    return { client: createOutboundFederation(config, { signingKey }, { timeoutMs: 5_000 }), signingKey };
  }

  async function publishedKeyId(node: FederationNode): Promise<string> {
    const text = await readFile(join(node.dataDir, "signing.key"), "utf8");
    return `ed25519:${text.split(" ")[1]}`;
  }

  it("each server's keys are fetched and verified by the other's client over TLS", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    for (const [from, to] of [
      [hs1, hs2],
      [hs2, hs1],
    ] as const) {
      const { client } = await clientOf(from);
      const keys = await client.fetchServerKeys(to.name);
      expect(keys.serverName).toBe(to.name);
      expect([...keys.verifyKeys.keys()]).toContain(await publishedKeyId(to));
      expect(keys.validUntilTs).toBeGreaterThan(Date.now());
    }
  });

  it("refuses a certificate from a CA it does not trust", async () => {
    const { client } = await clientOf(cluster.node(1), false);
    const err = await client.fetchServerKeys(cluster.node(2).name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederationTransportError);
    expect((err as FederationTransportError).reason).toBe("connection");
  });

  it("X-Matrix: hs2 verifies hs1's signature with keys it fetches from hs1, which a cut prevents", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const bob = await cluster.register(hs2, "bob");
    expectStatus(
      "set displayname",
      await bob.put(`/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, {
        displayname: "Bob",
      }),
    );
    const { client } = await clientOf(hs1);
    const query = () =>
      client.request<{ displayname?: string }>(hs2.name, "GET", "/_matrix/federation/v1/query/profile", {
        query: { user_id: bob.userId, field: "displayname" },
      });

    // hs2 cannot reach hs1 to learn its keys: the signed request cannot be verified.
    cluster.cut(hs1, hs2);
    const refused = await query().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FederationRequestError);
    expect((refused as FederationRequestError).status).toBe(401);
    // The connection hs2 opened was attributed to hs2 and refused at hs1's proxy.
    expect(hs1.proxy.accepted.get(hs2.name) ?? 0).toBeGreaterThan(0);

    cluster.heal(hs1, hs2);
    // hs2 backs off from fetching hs1's keys after the failure, but a request from hs1 makes it try
    // again at once (at most every 2 s): recovery takes seconds, not the 30 s backoff.
    const res = await eventually(
      "hs2 to accept hs1's signature",
      async () => (await query()).json,
      10_000,
      500,
    );
    expect(res).toEqual({ displayname: "Bob" });

    // A request signed with a key hs1 does not publish is refused.
    const { signingKey } = await clientOf(hs1);
    const forged = createFederationClient({
      origin: hs1.name,
      key: generateSigningKey("ed25519:forged"),
      fetch: createNodeTransport({
        allowPrivateAddresses: true,
        ca: [await readFile(cluster.caFile, "utf8")],
      }),
      resolve: async () => ({
        serverName: hs2.name,
        host: hs2.host,
        port: hs2.proxy.port,
        tlsServerName: hs2.host,
        sni: false,
        hostHeader: hs2.name,
        step: "2",
      }),
    });
    expect(signingKey.keyId).not.toBe("ed25519:forged");
    const forgedErr = await forged
      .request(hs2.name, "GET", "/_matrix/federation/v1/query/profile", { query: { user_id: bob.userId } })
      .catch((e: unknown) => e);
    expect((forgedErr as FederationRequestError).status).toBe(401);
  }, 90_000);

  it("a node restarted after kill -9 serves the same keys under the same name", async () => {
    const [hs1, hs2] = [cluster.node(1), cluster.node(2)];
    const before = await publishedKeyId(hs2);
    await cluster.kill(hs2);
    const { client } = await clientOf(hs1);
    await expect(client.fetchServerKeys(hs2.name)).rejects.toBeInstanceOf(FederationTransportError);
    await cluster.restart(hs2);
    const keys = await eventually("hs2's keys after restart", () => client.fetchServerKeys(hs2.name));
    expect([...keys.verifyKeys.keys()]).toContain(before);
  });
});
